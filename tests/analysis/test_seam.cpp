// The analysis seam metric on row slabs: the whole-field metric of
// decomp/seams.hpp for any row split, 1 for a field without seams, above 1
// for one with a jump at every patch border.
#include <gtest/gtest.h>

#include <cmath>

#include "flex/analysis/metrics.hpp"
#include "flex/decomp/seams.hpp"
#include "slabs.hpp"

namespace flex::analysis {
namespace {

using testing::Field;

const MPI_Comm kWorld = MPI_COMM_WORLD;

// 96^2 on 32^2 patches with halo 4: cores of 24, borders at 0, 24, 48, 72 (periodic).
decomp::Tiling tiling(decomp::Boundaries b = {}) { return decomp::Tiling({96, 96, 32, 4, b}); }

TEST(AnalysisSeam, EqualsTheWholeFieldMetricForAnyRowSplit) {
  const Field x = testing::random_field(96, 96, 21);
  for (const auto b : {decomp::Boundaries{}, decomp::Boundaries{decomp::Boundary::Reflect, decomp::Boundary::Periodic}}) {
    const auto t = tiling(b);
    const double whole = decomp::seam_metric(t, x.data.data());
    for (bool skewed : {false, true}) {
      auto f = testing::distribute(x, kWorld, skewed);
      EXPECT_NEAR(seam_metric(f.slab, t), whole, 1e-12 * whole) << "skewed " << skewed;
    }
  }
}

TEST(AnalysisSeam, OneWithoutSeamsAboveOneWithJumpsAtTheBorders) {
  // A smooth periodic wave: every neighbour pair along a row differs alike,
  // wherever the borders are (the metric counts rows and columns together).
  Field smooth = testing::make_field(96, 96);
  for (long r = 0; r < 96; ++r)
    for (long c = 0; c < 96; ++c) smooth(r, c) = static_cast<float>(std::sin(2 * M_PI * (r + c) / 96.0));
  const auto t = tiling();
  auto s = testing::distribute(smooth, kWorld, true);
  EXPECT_NEAR(seam_metric(s.slab, t), 1.0, 1e-3);
  // The same field with each patch core offset by its own constant: a jump at every border.
  Field seams = smooth;
  for (long r = 0; r < 96; ++r)
    for (long c = 0; c < 96; ++c) seams(r, c) += 0.2f * static_cast<float>((r / 24 + 2 * (c / 24)) % 3);
  auto j = testing::distribute(seams, kWorld, true);
  EXPECT_GT(seam_metric(j.slab, t), 2.0);
}

}  // namespace
}  // namespace flex::analysis
