// Ensemble statistics: fair CRPS on hand-worked and Gaussian closed forms,
// pull and spread-skill of calibrated and over-confident ensembles, forecast
// skill horizon, and split independence.
#include <gtest/gtest.h>

#include <cmath>

#include "flex/analysis/ensemble.hpp"
#include "flex/analysis/skill.hpp"
#include "slabs.hpp"

namespace flex::analysis {
namespace {

using testing::Field;

std::vector<Field> constant_members(long rows, long cols, const std::vector<float>& values) {
  std::vector<Field> m;
  for (float v : values) m.push_back({rows, cols, std::vector<float>(rows * cols, v)});
  return m;
}

TEST(AnalysisEnsemble, FairCrpsOfAHandWorkedEnsemble) {
  // Members {0, 2, 4}, truth 1: (1 + 1 + 3)/3 - (2 + 4 + 2) * 2 / (2 * 3 * 2) = 5/3 - 4/3.
  const long rows = 12, cols = 14;
  Field truth{rows, cols, std::vector<float>(rows * cols, 1.f)};
  auto t = testing::distribute(truth, MPI_COMM_WORLD, true);
  auto m = testing::distribute(constant_members(rows, cols, {0, 2, 4}), MPI_COMM_WORLD, true);
  const EnsembleStats e = ensemble_statistics(t.slab, m.slab);
  EXPECT_NEAR(e.crps, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(e.rmse, 1.0, 1e-12);    // mean 2, truth 1
  EXPECT_NEAR(e.spread, 2.0, 1e-12);  // unbiased variance of {0, 2, 4} = 4
  EXPECT_NEAR(e.pull_mean, -0.5, 1e-12);
  EXPECT_NEAR(e.pull_std, 0.0, 1e-12);
  auto mean = ensemble_mean(m.slab);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mean);
  for (size_t i = 0; i < host.size(); ++i) EXPECT_EQ(host.data()[i], 2.f);
}

// CRPS of N(0, 1) at y (Gneiting & Raftery 2007, eq. 21 with mu 0, sigma 1).
double gaussian_crps(double y) {
  const double pdf = std::exp(-0.5 * y * y) / std::sqrt(2 * M_PI), cdf = 0.5 * std::erfc(-y / std::sqrt(2.0));
  return y * (2 * cdf - 1) + 2 * pdf - 1 / std::sqrt(M_PI);
}

TEST(AnalysisEnsemble, CrpsOfALargeGaussianEnsembleMatchesTheClosedForm) {
  const long rows = 32, cols = 32, k = 128;
  // Truth values sweep [-3, 3]; members draw N(0, 1) independently per pixel.
  Field truth = testing::make_field(rows, cols);
  double expected = 0;
  for (long i = 0; i < rows * cols; ++i) {
    truth.data[i] = static_cast<float>(-3.0 + 6.0 * i / (rows * cols - 1));
    expected += gaussian_crps(truth.data[i]) / (rows * cols);
  }
  std::vector<Field> members;
  for (long m = 0; m < k; ++m) members.push_back(testing::random_field(rows, cols, 1000 + m));
  auto t = testing::distribute(truth, MPI_COMM_WORLD, true);
  auto s = testing::distribute(members, MPI_COMM_WORLD, true);
  const EnsembleStats e = ensemble_statistics(t.slab, s.slab);
  // The fair estimator is unbiased; sampling error of the mean over 1024 pixels ~ 2e-3.
  EXPECT_NEAR(e.crps, expected, 0.01);
}

// Truth and K members drawn from the same per-pixel N(mu, sigma^2), members
// drawn with spread `member_sigma / sigma` times too small when over-confident.
struct Synthetic {
  Field truth;
  std::vector<Field> members;
};
Synthetic synthetic_ensemble(long rows, long cols, long k, double member_scale, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0.5, 2.0);
  Synthetic s{testing::make_field(rows, cols), {}};
  for (long m = 0; m < k; ++m) s.members.push_back(testing::make_field(rows, cols));
  for (long i = 0; i < rows * cols; ++i) {
    const double mu = 3 * normal(gen), sigma = uniform(gen);
    s.truth.data[i] = static_cast<float>(mu + sigma * normal(gen));
    for (long m = 0; m < k; ++m) s.members[m].data[i] = static_cast<float>(mu + member_scale * sigma * normal(gen));
  }
  return s;
}

TEST(AnalysisEnsemble, CalibratedEnsembleHasPullStdNearOne) {
  const long k = 50;
  const Synthetic s = synthetic_ensemble(64, 64, k, 1.0, 31);
  auto t = testing::distribute(s.truth, MPI_COMM_WORLD, true);
  auto m = testing::distribute(s.members, MPI_COMM_WORLD, true);
  const EnsembleStats e = ensemble_statistics(t.slab, m.slab);
  // (y - mean)/s ~ sqrt(1 + 1/K) t_{K-1}: std sqrt(1 + 1/K) sqrt((K-1)/(K-3)) = 1.031 for K = 50.
  const double exact = std::sqrt(1.0 + 1.0 / k) * std::sqrt((k - 1.0) / (k - 3.0));
  EXPECT_NEAR(e.pull_std, exact, 0.03);
  EXPECT_NEAR(e.pull_std, 1.0, 0.06);
  EXPECT_NEAR(e.pull_mean, 0.0, 0.05);
  EXPECT_NEAR(e.ssr, 1.0, 0.05);
  double in_hist = e.pull.below + e.pull.above;
  for (double c : e.pull.counts) in_hist += c;
  EXPECT_EQ(in_hist, 64.0 * 64.0);
  // A standard-normal-like histogram: the two central bins hold ~ 2 * 0.25 * 0.4 of the pulls.
  const size_t mid = e.pull.counts.size() / 2;
  EXPECT_NEAR((e.pull.counts[mid - 1] + e.pull.counts[mid]) / (64.0 * 64.0), 2 * 0.0987, 0.02);
}

TEST(AnalysisEnsemble, OverConfidentEnsembleHasWidePulls) {
  const Synthetic s = synthetic_ensemble(64, 64, 20, 0.5, 32);
  auto t = testing::distribute(s.truth, MPI_COMM_WORLD);
  auto m = testing::distribute(s.members, MPI_COMM_WORLD);
  const EnsembleStats e = ensemble_statistics(t.slab, m.slab);
  EXPECT_GT(e.pull_std, 1.8);
  EXPECT_LT(e.ssr, 0.6);
}

TEST(AnalysisEnsemble, SplitEnsembleGivesTheWholeFieldResult) {
  const Synthetic s = synthetic_ensemble(27, 31, 5, 1.0, 33);
  auto tw = testing::distribute(s.truth, MPI_COMM_SELF);
  auto mw = testing::distribute(s.members, MPI_COMM_SELF);
  auto ts = testing::distribute(s.truth, MPI_COMM_WORLD, true);
  auto ms = testing::distribute(s.members, MPI_COMM_WORLD, true);
  const EnsembleStats a = ensemble_statistics(tw.slab, mw.slab), b = ensemble_statistics(ts.slab, ms.slab);
  EXPECT_LT(testing::rel_diff(a.crps, b.crps), 1e-12);
  EXPECT_LT(testing::rel_diff(a.rmse, b.rmse), 1e-12);
  EXPECT_LT(testing::rel_diff(a.spread, b.spread), 1e-12);
  EXPECT_LT(testing::rel_diff(a.pull_std, b.pull_std), 1e-12);
  EXPECT_EQ(a.pull.counts, b.pull.counts);
}

TEST(AnalysisSkill, HorizonCountsLeadingStepsAboveThreshold) {
  EXPECT_EQ(skill_horizon({0.99, 0.98, 0.96, 0.95, 0.97}, 0.95), 3);
  EXPECT_EQ(skill_horizon({0.99, 0.99}, 0.95), 2);
  EXPECT_EQ(skill_horizon({0.5, 0.99}, 0.95), 0);
  EXPECT_EQ(skill_horizon({}, 0.95), 0);
  EXPECT_EQ(skill_horizon({0.99, std::nan("")}, 0.95), 1);
}

}  // namespace
}  // namespace flex::analysis
