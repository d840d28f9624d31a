// The tiles protocol against hand-computed values: a constant truth and a
// prediction off by a different constant in each tile, so every tile's and
// batch's RFNE is known in closed form; on even and skewed row splits.
#include <gtest/gtest.h>

#include <cmath>

#include "flex/analysis/metrics.hpp"
#include "flex/analysis/tiles.hpp"
#include "slabs.hpp"

namespace flex::analysis {
namespace {

using testing::Field;

const MPI_Comm kWorld = MPI_COMM_WORLD;

// 12 x 8 field of 4² tiles (3 x 2 of them); truth 2 everywhere, prediction
// 2 (1 + e_t) in tile t (row-major), so tile t has RFNE e_t.
constexpr long kRows = 12, kCols = 8, kSide = 4;
const double kErr[6] = {0.1, 0.7, 0.2, 0.2, 0.4, 0.3};

Field truth() {
  Field f = testing::make_field(kRows, kCols);
  for (auto& v : f.data) v = 2.f;
  return f;
}

Field prediction() {
  Field f = testing::make_field(kRows, kCols);
  for (long r = 0; r < kRows; ++r)
    for (long c = 0; c < kCols; ++c) f(r, c) = static_cast<float>(2 * (1 + kErr[(r / kSide) * 2 + c / kSide]));
  return f;
}

// Tolerance: the prediction is stored as float.
constexpr double kTol = 1e-6;

TEST(AnalysisTiles, EachTileHasItsOwnRfneInRowMajorOrder) {
  for (bool skewed : {false, true}) {
    auto t = testing::distribute(truth(), kWorld, skewed), p = testing::distribute(prediction(), kWorld, skewed);
    const auto tiles = tile_norms(t.slab, p.slab, kSide);
    ASSERT_EQ(tiles.size(), 6u);
    for (size_t k = 0; k < tiles.size(); ++k) {
      EXPECT_EQ(tiles[k].row, static_cast<long>(k) / 2);
      EXPECT_EQ(tiles[k].col, static_cast<long>(k) % 2);
      EXPECT_NEAR(tiles[k].truth2, 16 * 4.0, 1e-12) << "16 pixels of 2²";
      EXPECT_NEAR(tiles[k].rfne(), kErr[k], kTol) << "tile " << k << (skewed ? " skewed" : "");
    }
  }
}

TEST(AnalysisTiles, BatchRfnePoolsTheBatchsPixels) {
  auto t = testing::distribute(truth(), kWorld, true), p = testing::distribute(prediction(), kWorld, true);
  const auto tiles = tile_norms(t.slab, p.slab, kSide);
  // Equal truth norms: a batch's RFNE is the root mean square of its tiles' e_t.
  const auto b2 = batch_rfne(tiles, 2);
  ASSERT_EQ(b2.size(), 3u);
  EXPECT_NEAR(b2[0], std::sqrt((0.01 + 0.49) / 2), kTol);  // 0.5
  EXPECT_NEAR(b2[1], 0.2, kTol);
  EXPECT_NEAR(b2[2], std::sqrt((0.16 + 0.09) / 2), kTol);
  EXPECT_NEAR(tiled_rfne(tiles, 2), (0.5 + 0.2 + std::sqrt(0.125)) / 3, kTol);
  // Batches of 4: the last one holds the two tiles left over.
  const auto b4 = batch_rfne(tiles, 4);
  ASSERT_EQ(b4.size(), 2u);
  EXPECT_NEAR(b4[0], std::sqrt((0.01 + 0.49 + 0.04 + 0.04) / 4), kTol);
  EXPECT_NEAR(b4[1], std::sqrt((0.16 + 0.09) / 2), kTol);
  // Batch 1: the mean of the per-tile RFNEs.
  EXPECT_NEAR(tiled_rfne(tiles, 1), (0.1 + 0.7 + 0.2 + 0.2 + 0.4 + 0.3) / 6, kTol);
}

TEST(AnalysisTiles, OneBatchOfAllTilesIsTheWholeFieldRfne) {
  const Field x = testing::random_field(kRows, kCols, 21), y = testing::random_field(kRows, kCols, 22);
  for (bool skewed : {false, true}) {
    auto t = testing::distribute(x, kWorld, skewed), p = testing::distribute(y, kWorld, skewed);
    const Affine a{0.5, 0.25};
    const auto tiles = tile_norms(t.slab, p.slab, kSide, a);
    EXPECT_NEAR(tiled_rfne(tiles, 6), pair_metrics(t.slab, p.slab, a).rfne, 1e-12);
    EXPECT_NEAR(tiled_rfne(tiles, 100), pair_metrics(t.slab, p.slab, a).rfne, 1e-12);
    // A tile as big as the field: one tile, the whole field.
    auto whole = testing::distribute(testing::random_field(8, 8, 23), kWorld, skewed);
    auto other = testing::distribute(testing::random_field(8, 8, 24), kWorld, skewed);
    const auto one = tile_norms(whole.slab, other.slab, 8);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_NEAR(one[0].rfne(), pair_metrics(whole.slab, other.slab).rfne, 1e-12);
  }
}

}  // namespace
}  // namespace flex::analysis
