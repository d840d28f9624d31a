// Pair metrics, SSIM and continuity error against closed forms and against a
// brute-force reference; every check also on a skewed row split.
#include <gtest/gtest.h>

#include <cmath>

#include "flex/analysis/metrics.hpp"
#include "slabs.hpp"

namespace flex::analysis {
namespace {

using testing::Field;

const MPI_Comm kWorld = MPI_COMM_WORLD;

Field affine(const Field& x, float a, float b) {
  Field y = x;
  for (auto& v : y.data) v = a * v + b;
  return y;
}

TEST(AnalysisMetrics, RfneOfTwiceTheTruthIsOne) {
  const Field x = testing::random_field(48, 40, 11);
  for (bool skewed : {false, true}) {
    auto t = testing::distribute(x, kWorld, skewed), p = testing::distribute(affine(x, 2, 0), kWorld, skewed);
    EXPECT_NEAR(pair_metrics(t.slab, p.slab).rfne, 1.0, 1e-12);
  }
}

TEST(AnalysisMetrics, PccOfAnAffineMapIsOne) {
  const Field x = testing::random_field(48, 40, 12, 3.0, 2.0);
  auto t = testing::distribute(x, kWorld, true), p = testing::distribute(affine(x, 3, -7), kWorld, true);
  EXPECT_NEAR(pair_metrics(t.slab, p.slab).pcc, 1.0, 1e-12);
  auto n = testing::distribute(affine(x, -0.5f, 1), kWorld, true);
  EXPECT_NEAR(pair_metrics(t.slab, n.slab).pcc, -1.0, 1e-12);
  // Independent noise: uncorrelated, |PCC| small.
  auto r = testing::distribute(testing::random_field(48, 40, 99), kWorld, true);
  EXPECT_LT(std::abs(pair_metrics(t.slab, r.slab).pcc), 0.1);
}

TEST(AnalysisMetrics, ConstantOffsetGivesMseLinfPsnr) {
  Field x = testing::random_field(32, 36, 13);
  const float c = 0.25f;
  auto t = testing::distribute(x, kWorld), p = testing::distribute(affine(x, 1, c), kWorld);
  const PairMetrics m = pair_metrics(t.slab, p.slab);
  const double ymax = *std::max_element(x.data.begin(), x.data.end());
  EXPECT_NEAR(m.mse, c * c, 1e-7);
  EXPECT_NEAR(m.linf, c, 1e-6);
  EXPECT_NEAR(m.psnr, 20 * std::log10(ymax / c), 1e-5);
  // z-scoring maps both fields: RFNE changes, PCC does not.
  const Moments z = moments(t.slab);
  const Affine a{1 / z.std, -z.mean / z.std};
  EXPECT_NEAR(pair_metrics(t.slab, p.slab, a).mse, c * c / (z.std * z.std), 1e-7);
  EXPECT_NEAR(pair_metrics(t.slab, p.slab, a).pcc, 1.0, 1e-12);
  EXPECT_NEAR(moments(t.slab, a).mean, 0.0, 1e-12);
  EXPECT_NEAR(moments(t.slab, a).std, 1.0, 1e-12);
}

TEST(AnalysisMetrics, SsimOfAFieldWithItselfIsOne) {
  const Field x = testing::random_field(40, 44, 14);
  for (bool skewed : {false, true}) {
    auto t = testing::distribute(x, kWorld, skewed), p = testing::distribute(x, kWorld, skewed);
    EXPECT_NEAR(ssim(t.slab, p.slab), 1.0, 1e-12);
  }
}

double range_of(const Field& f) {
  const auto [lo, hi] = std::minmax_element(f.data.begin(), f.data.end());
  return double(*hi) - double(*lo);
}

// Direct 2D evaluation of Wang et al. (2004) with the full 11x11 window and
// data range L (torchmetrics: the larger of the two fields' ranges).
double ssim_reference(const Field& x, const Field& y, double L) {
  const int h = 5;
  double taps[11], total = 0;
  for (int t = -h; t <= h; ++t) total += taps[t + h] = std::exp(-0.5 * t * t / (1.5 * 1.5));
  for (double& t : taps) t /= total;
  const double c1 = 1e-4 * L * L, c2 = 9e-4 * L * L;
  double sum = 0;
  long count = 0;
  for (long r = h; r < x.rows - h; ++r)
    for (long c = h; c < x.cols - h; ++c) {
      double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
      for (int a = -h; a <= h; ++a)
        for (int b = -h; b <= h; ++b) {
          const double w = taps[a + h] * taps[b + h], xv = x(r + a, c + b), yv = y(r + a, c + b);
          mx += w * xv, my += w * yv, xx += w * xv * xv, yy += w * yv * yv, xy += w * xv * yv;
        }
      const double vx = xx - mx * mx, vy = yy - my * my, cxy = xy - mx * my;
      sum += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++count;
    }
  return sum / count;
}

TEST(AnalysisMetrics, SsimMatchesTheDirectWindowSumOnAnySplit) {
  const Field x = testing::random_field(40, 44, 15);
  Field y = x;
  std::mt19937_64 gen(16);
  std::normal_distribution<double> noise(0, 0.5);
  for (auto& v : y.data) v += static_cast<float>(noise(gen));
  const double expected = ssim_reference(x, y, std::max(range_of(x), range_of(y)));
  EXPECT_LT(expected, 0.95);
  for (bool skewed : {false, true}) {
    auto t = testing::distribute(x, kWorld, skewed), p = testing::distribute(y, kWorld, skewed);
    EXPECT_NEAR(ssim(t.slab, p.slab), expected, 1e-12);
  }
}

// A prediction with three times the truth's range: L is the prediction's
// range, not the truth's, and SSIM is symmetric in the two fields.
TEST(AnalysisMetrics, SsimDataRangeIsTheLargerOfTheTwoRanges) {
  const Field x = testing::random_field(40, 44, 25);
  Field y = affine(x, 3, 0);
  std::mt19937_64 gen(26);
  std::normal_distribution<double> noise(0, 0.3);
  for (auto& v : y.data) v += static_cast<float>(noise(gen));
  const double ly = range_of(y), lx = range_of(x);
  ASSERT_GT(ly, 2.5 * lx);
  const double expected = ssim_reference(x, y, ly);
  // The truth's range alone would give a clearly different value.
  EXPECT_GT(std::abs(ssim_reference(x, y, lx) - expected), 1e-3);
  for (bool skewed : {false, true}) {
    auto t = testing::distribute(x, kWorld, skewed), p = testing::distribute(y, kWorld, skewed);
    EXPECT_NEAR(ssim(t.slab, p.slab), expected, 1e-12);
    EXPECT_NEAR(ssim(p.slab, t.slab), expected, 1e-12);
  }
}

// u = d(psi)/dy, v = -d(psi)/dx with the given periodic 1D derivative stencil.
struct Velocity {
  Field u, v;
};
Velocity velocity_from_streamfunction(const std::vector<double>& psi, long n, double h, bool fourth_order) {
  auto at = [&](long r, long c) { return psi[((r + n) % n) * n + (c + n) % n]; };
  auto d = [&](double fm2, double fm1, double fp1, double fp2) {
    return fourth_order ? (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h) : (fp1 - fm1) / (2 * h);
  };
  Velocity out{testing::make_field(n, n), testing::make_field(n, n)};
  for (long r = 0; r < n; ++r)
    for (long c = 0; c < n; ++c) {
      out.u(r, c) = static_cast<float>(d(at(r, c - 2), at(r, c - 1), at(r, c + 1), at(r, c + 2)));
      out.v(r, c) = static_cast<float>(-d(at(r - 2, c), at(r - 1, c), at(r + 1, c), at(r + 2, c)));
    }
  return out;
}

TEST(AnalysisMetrics, ContinuityOfAStreamfunctionVelocityIsRoundOff) {
  const long n = 48;
  const double h = 2 * M_PI / n;
  // psi: a handful of random Fourier modes, so derivatives are O(1).
  std::mt19937_64 gen(17);
  std::uniform_real_distribution<double> phase(0, 2 * M_PI);
  std::vector<double> psi(n * n, 0.0);
  for (int mode = 0; mode < 6; ++mode) {
    const int kx = 1 + mode % 4, ky = 1 + (mode * 5) % 7;
    const double ph = phase(gen);
    for (long r = 0; r < n; ++r)
      for (long c = 0; c < n; ++c) psi[r * n + c] += std::cos(kx * r * h + ky * c * h + ph) / (kx * kx + ky * ky);
  }
  const Velocity matching = velocity_from_streamfunction(psi, n, h, true);
  const Velocity other = velocity_from_streamfunction(psi, n, h, false);
  double scale = 0;  // mean (du/dx)^2 magnitude: |u|^2 ~ 1 per mode, times k^2
  for (float x : matching.u.data) scale += double(x) * x / (n * n);
  for (bool skewed : {false, true}) {
    auto u = testing::distribute(matching.u, kWorld, skewed), v = testing::distribute(matching.v, kWorld, skewed);
    const double err = continuity_error(u.slab, v.slab, h, h);
    EXPECT_LT(err / scale, 1e-11) << "matching stencil";
    auto u2 = testing::distribute(other.u, kWorld, skewed), v2 = testing::distribute(other.v, kWorld, skewed);
    EXPECT_GT(continuity_error(u2.slab, v2.slab, h, h) / scale, 1e-6) << "2nd-order velocities are not "
                                                                        "divergence-free for the 4th-order stencil";
  }
}

TEST(AnalysisMetrics, SplitFieldGivesTheWholeFieldResult) {
  const Field x = testing::random_field(37, 29, 18), y = testing::random_field(37, 29, 19);
  auto tw = testing::distribute(x, MPI_COMM_SELF), pw = testing::distribute(y, MPI_COMM_SELF);
  auto ts = testing::distribute(x, kWorld, true), ps = testing::distribute(y, kWorld, true);
  const PairMetrics a = pair_metrics(tw.slab, pw.slab), b = pair_metrics(ts.slab, ps.slab);
  EXPECT_LT(testing::rel_diff(a.rfne, b.rfne), 1e-13);
  EXPECT_LT(testing::rel_diff(a.pcc, b.pcc), 1e-13);
  EXPECT_LT(testing::rel_diff(a.mse, b.mse), 1e-13);
  EXPECT_LT(testing::rel_diff(a.psnr, b.psnr), 1e-13);
  EXPECT_EQ(a.linf, b.linf);
  EXPECT_LT(testing::rel_diff(ssim(tw.slab, pw.slab), ssim(ts.slab, ps.slab)), 1e-13);
  const double h = 0.1;
  EXPECT_LT(testing::rel_diff(continuity_error(tw.slab, pw.slab, h, h), continuity_error(ts.slab, ps.slab, h, h)),
            1e-13);
}

}  // namespace
}  // namespace flex::analysis
