// Tiling and stitching: tile -> stitch reproduces the field to round-off for
// any halo, boundary and field size (including sizes that are not multiples
// of the stride). Over ranks: test_blocks.cpp.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <tuple>

#include "flex/core/error.hpp"
#include "flex/decomp/tiling.hpp"
#include "helpers.hpp"

using namespace flex::decomp;
using flex::decomp::testing::random_field;

namespace {

// Every patch extracted and stitched back (the whole-field reference stitcher
// the block stitcher is tested against).
std::vector<float> tile_and_stitch(const Tiling& tiling, const std::vector<float>& field) {
  const long P = tiling.spec().patch;
  std::vector<float> patch(static_cast<size_t>(P * P));
  Stitcher stitcher(tiling);
  for (long i = 0; i < tiling.count(); ++i) {
    tiling.extract(field.data(), i, patch.data());
    stitcher.add(i, patch.data());
  }
  return stitcher.result();
}

}  // namespace

class TileStitch : public ::testing::TestWithParam<std::tuple<long, long, long, Boundary>> {};

TEST_P(TileStitch, ReproducesTheFieldToRoundOff) {
  const auto [height, width, halo, boundary] = GetParam();
  TilingSpec spec{height, width, 32, halo, boundary};
  Tiling tiling(spec);
  const auto field = random_field(height, width, 7);
  const auto stitched = tile_and_stitch(tiling, field);
  ASSERT_EQ(stitched.size(), field.size());
  double max_err = 0;
  for (size_t k = 0; k < field.size(); ++k) max_err = std::max(max_err, double(std::fabs(stitched[k] - field[k])));
  EXPECT_LT(max_err, 1e-5) << "halo " << halo;
}

INSTANTIATE_TEST_SUITE_P(
    SizesHalosBoundaries, TileStitch,
    ::testing::Combine(::testing::Values(64L, 100L), ::testing::Values(64L, 77L), ::testing::Values(0L, 4L, 8L, 15L),
                       ::testing::Values(Boundary::Periodic, Boundary::Reflect)));

TEST(Tiling, ProductionLayoutAnd64PixelHalo) {
  // 2048^2 into 256^2 patches: 8x8 without halo; a 64-pixel halo needs 16x16.
  Tiling plain({2048, 2048, 256, 0, Boundary::Periodic});
  EXPECT_EQ(plain.count(), 64);
  EXPECT_EQ(plain.patch(9).row0, 256);
  EXPECT_EQ(plain.patch(9).col0, 256);
  Tiling halo({2048, 2048, 256, 64, Boundary::Periodic});
  EXPECT_EQ(halo.rows(), 16);
  EXPECT_EQ(halo.patch(0).row0, -64);

  Tiling small({300, 300, 256, 64, Boundary::Reflect});
  const auto f = random_field(300, 300, 3);
  const auto s = tile_and_stitch(small, f);
  for (size_t k = 0; k < f.size(); ++k) ASSERT_NEAR(s[k], f[k], 1e-4);
}

TEST(Tiling, BlendingWeightsArePositiveAndOneInTheCore) {
  Tiling t({64, 64, 32, 8, Boundary::Periodic});
  for (long i = 0; i < 32; ++i) {
    EXPECT_GT(t.weight(i, 16), 0.0);
    EXPECT_LE(t.weight(i, 16), 1.0);
  }
  EXPECT_DOUBLE_EQ(t.weight(8, 8), 1.0);
  EXPECT_DOUBLE_EQ(t.weight(23, 23), 1.0);
  EXPECT_LT(t.weight(0, 16), 0.05);
}

TEST(Tiling, PeriodicWrapAndReflectionIndices) {
  Tiling p({10, 10, 4, 1, Boundary::Periodic});
  EXPECT_EQ(p.field_row(-1), 9);
  EXPECT_EQ(p.field_row(10), 0);
  Tiling r({10, 10, 4, 1, Boundary::Reflect});
  EXPECT_EQ(r.field_row(-1), 1);
  EXPECT_EQ(r.field_row(10), 8);
}

// A latitude-longitude field: reflected at the poles (rows), wrapped in longitude.
TEST(Tiling, BoundariesPerAxis) {
  Tiling t({10, 12, 4, 1, {Boundary::Reflect, Boundary::Periodic}});
  EXPECT_EQ(t.field_row(-1), 1);
  EXPECT_EQ(t.field_row(10), 8);
  EXPECT_EQ(t.field_col(-1), 11);
  EXPECT_EQ(t.field_col(12), 0);
  Tiling big({40, 64, 16, 4, {Boundary::Reflect, Boundary::Periodic}});
  const auto f = random_field(40, 64, 3);
  const auto stitched = tile_and_stitch(big, f);
  for (size_t k = 0; k < f.size(); ++k) ASSERT_NEAR(stitched[k], f[k], 1e-5);
}

TEST(Tiling, BoundaryWordsRoundTrip) {
  EXPECT_EQ(parse_boundaries("periodic"), Boundaries(Boundary::Periodic));
  EXPECT_EQ(parse_boundaries("reflect,periodic"), Boundaries(Boundary::Reflect, Boundary::Periodic));
  EXPECT_EQ(boundaries_name({Boundary::Reflect, Boundary::Periodic}), "reflect,periodic");
  EXPECT_EQ(boundaries_name(Boundary::Reflect), "reflect");
  EXPECT_THROW(parse_boundaries("wall"), flex::InputError);
  EXPECT_THROW(parse_boundaries("reflect,"), flex::InputError);
}

TEST(Tiling, InvalidHaloIsAnInputError) {
  EXPECT_THROW(Tiling({64, 64, 32, 16, Boundary::Periodic}), flex::InputError);
}
