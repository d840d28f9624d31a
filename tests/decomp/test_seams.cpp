// The seam metric: where the borders of a tiling lie, 1 for a field whose
// neighbours differ alike everywhere, and well above 1 when patches disagree.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "flex/decomp/seams.hpp"

using namespace flex::decomp;

namespace {

// f(r, c) = r + c, plus `jump` times the index of the core (r, c) lies in.
std::vector<float> ramp_with_core_offsets(const Tiling& t, double jump) {
  const auto& s = t.spec();
  const auto lines = seam_lines(t);
  const auto core = [](const std::vector<long>& starts, long x) {
    long k = 0;
    for (long b : starts)
      if (b > 0 && x >= b) ++k;
    return k;
  };
  std::vector<float> f(static_cast<size_t>(s.height * s.width));
  for (long r = 0; r < s.height; ++r)
    for (long c = 0; c < s.width; ++c)
      f[static_cast<size_t>(r * s.width + c)] =
          static_cast<float>(r + c + jump * static_cast<double>(core(lines.rows, r) * 7 + core(lines.cols, c)));
  return f;
}

}  // namespace

TEST(Seams, BordersAreTheCoreStartsAndTheWrap) {
  // stride 32 - 2*4 = 24: ceil(64 / 24) = 3 cores starting at 0, 21, 42.
  const Tiling periodic({64, 64, 32, 4, Boundary::Periodic});
  EXPECT_EQ(seam_lines(periodic).rows, (std::vector<long>{0, 21, 42}));
  const Tiling walls({64, 48, 32, 4, Boundaries{Boundary::Reflect, Boundary::Periodic}});
  EXPECT_EQ(seam_lines(walls).rows, (std::vector<long>{21, 42}));
  EXPECT_EQ(seam_lines(walls).cols, (std::vector<long>{0, 24}));
}

TEST(Seams, OneWhereNeighboursDifferAlikeEverywhere) {
  const Tiling t({64, 64, 32, 4, Boundary::Reflect});
  const auto f = ramp_with_core_offsets(t, 0.0);
  EXPECT_NEAR(seam_metric(t, f.data()), 1.0, 1e-12);
}

TEST(Seams, AboveOneWhenPatchesDisagree) {
  const Tiling t({64, 64, 32, 4, Boundary::Reflect});
  // Across a border a sample differs by 1 from its neighbour plus the offset
  // (7 across rows, 1 across columns): a mean jump of 5 against 1.
  EXPECT_NEAR(seam_metric(t, ramp_with_core_offsets(t, 1.0).data()), 5.0, 1e-9);
  EXPECT_GT(seam_metric(t, ramp_with_core_offsets(t, 0.1).data()), 1.3);
}

TEST(Seams, NoBordersNoMetric) {
  const Tiling one({32, 32, 32, 0, Boundary::Reflect});
  const std::vector<float> f(32 * 32, 1.0f);
  EXPECT_TRUE(std::isnan(seam_metric(one, f.data())));
}
