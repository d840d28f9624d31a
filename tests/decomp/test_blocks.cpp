// The 2D block decomposition: blocks partition the field and the patches;
// block stitching with neighbour-only exchange gives the whole-field
// Stitcher's values on every block, and fill_regions the values
// Tiling::extract reads (wrap, mirror), for any rank count, grid shape,
// boundary, halo and field size, ranks without patches included.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <tuple>

#include "flex/decomp/blocks.hpp"
#include "flex/decomp/seams.hpp"
#include "helpers.hpp"

using namespace flex::decomp;
using flex::decomp::testing::block_of;
using flex::decomp::testing::random_field;

namespace {

// Patch `index` of `field`, offset by a value of its own: overlapping
// patches disagree, so the blending weights show in the stitched values.
std::vector<float> patch_of(const Tiling& t, const std::vector<float>& field, long index) {
  const long P = t.spec().patch;
  std::vector<float> p(static_cast<size_t>(P * P));
  t.extract(field.data(), index, p.data());
  for (auto& x : p) x += 0.37f * static_cast<float>(index % 7);
  return p;
}

int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// Every grid shape of the world's ranks.
std::vector<std::array<int, 2>> grids() {
  std::vector<std::array<int, 2>> out{{0, 0}};
  const int n = world_size();
  for (int r = 1; r <= n; ++r)
    if (n % r == 0) out.push_back({r, n / r});
  return out;
}

}  // namespace

class Blocks : public ::testing::TestWithParam<std::tuple<long, long, long, Boundaries>> {};

TEST_P(Blocks, PartitionTheFieldAndThePatches) {
  const auto [height, width, halo, boundary] = GetParam();
  const Tiling tiling({height, width, 32, halo, boundary});
  for (const auto dims : grids()) {
    BlockDecomposition d(tiling, MPI_COMM_WORLD, dims);
    std::vector<int> owner(static_cast<size_t>(height * width), 0), patch_owner(static_cast<size_t>(tiling.count()), 0);
    for (int r = 0; r < d.size(); ++r) {
      const Rect b = d.block(r), g = d.reach(r);
      for (long i = b.rows.begin; i < b.rows.end; ++i)
        for (long j = b.cols.begin; j < b.cols.end; ++j) ++owner[static_cast<size_t>(i * width + j)];
      for (const long p : d.patches(r)) {
        ++patch_owner[static_cast<size_t>(p)];
        const Patch q = tiling.patch(p);
        EXPECT_GE(q.row0, g.rows.begin);
        EXPECT_LE(q.row0 + 32, g.rows.end);
        EXPECT_GE(q.col0, g.cols.begin);
        EXPECT_LE(q.col0 + 32, g.cols.end);
      }
    }
    for (const int o : owner) ASSERT_EQ(o, 1) << "grid " << d.dims()[0] << "x" << d.dims()[1];
    for (const int o : patch_owner) ASSERT_EQ(o, 1) << "grid " << d.dims()[0] << "x" << d.dims()[1];
  }
}

TEST_P(Blocks, StitchLikeTheWholeFieldStitcher) {
  const auto [height, width, halo, boundary] = GetParam();
  const Tiling tiling({height, width, 32, halo, boundary});
  const auto field = random_field(height, width, 11);
  // The reference: every patch, one rank, whole-field buffers.
  Stitcher whole(tiling);
  for (long i = 0; i < tiling.count(); ++i) whole.add(i, patch_of(tiling, field, i).data());
  const auto expected = whole.result();
  for (const auto dims : grids()) {
    BlockDecomposition d(tiling, MPI_COMM_WORLD, dims);
    BlockStitcher s(d, 2);
    for (const long p : d.patches(d.rank())) {
      auto values = patch_of(tiling, field, p);
      s.add(p, 0, values.data());
      for (auto& x : values) x = -2 * x;  // a second plane: members and channels stitch alike
      s.add(p, 1, values.data());
    }
    s.reduce();
    const Rect b = d.block(d.rank());
    const auto got0 = s.result(0), got1 = s.result(1);
    double worst = 0;
    for (long i = 0; i < b.rows.size(); ++i)
      for (long j = 0; j < b.cols.size(); ++j) {
        const float e = expected[static_cast<size_t>((b.rows.begin + i) * width + b.cols.begin + j)];
        const size_t k = static_cast<size_t>(i * b.cols.size() + j);
        worst = std::max({worst, std::fabs(double(got0[k]) - e), std::fabs(double(got1[k]) + 2.0 * e)});
      }
    EXPECT_LT(worst, 1e-5) << "grid " << d.dims()[0] << "x" << d.dims()[1] << ", rank " << d.rank();
    if (d.size() == 1) EXPECT_EQ(s.bytes_sent(), 0u);
  }
}

TEST_P(Blocks, FillRegionsReadsWhatExtractReads) {
  const auto [height, width, halo, boundary] = GetParam();
  const Tiling tiling({height, width, 32, halo, boundary});
  const auto field = random_field(height, width, 13);
  for (const auto dims : grids()) {
    BlockDecomposition d(tiling, MPI_COMM_WORLD, dims);
    const Rect b = d.block(d.rank());
    auto block = block_of(field, width, b);
    for (auto x : std::vector<float>(block)) block.push_back(3 * x);  // plane 1
    // The reach, and the block grown by one pixel up and left (the seam metric's).
    for (const bool reach : {true, false}) {
      const auto region_of = [&](int r) {
        if (reach) return d.reach(r);
        Rect g = d.block(r);
        if (g.count() > 0) --g.rows.begin, --g.cols.begin;
        return g;
      };
      const Rect g = region_of(d.rank());
      const auto got = fill_regions(d, block.data(), 2, region_of);
      ASSERT_EQ(static_cast<long>(got.size()), 2 * g.count());
      long wrong = 0;
      for (long i = 0; i < g.rows.size(); ++i)
        for (long j = 0; j < g.cols.size(); ++j) {
          const float e = field[static_cast<size_t>(tiling.field_row(g.rows.begin + i) * width +
                                                    tiling.field_col(g.cols.begin + j))];
          const size_t k = static_cast<size_t>(i * g.cols.size() + j);
          wrong += got[k] != e || got[static_cast<size_t>(g.count()) + k] != 3 * e;
        }
      EXPECT_EQ(wrong, 0) << "grid " << d.dims()[0] << "x" << d.dims()[1] << ", rank " << d.rank()
                          << (reach ? ", reach" : ", block + 1");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    SizesHalosBoundaries, Blocks,
    ::testing::Values(std::make_tuple(128L, 128L, 4L, Boundaries(Boundary::Periodic)),
                      std::make_tuple(128L, 96L, 8L, Boundaries(Boundary::Reflect)),
                      std::make_tuple(100L, 77L, 6L, Boundaries(Boundary::Reflect, Boundary::Periodic)),
                      std::make_tuple(64L, 200L, 0L, Boundaries(Boundary::Periodic)),
                      std::make_tuple(24L, 48L, 4L, Boundaries(Boundary::Periodic)),  // one patch row, wrapping twice
                      std::make_tuple(40L, 24L, 8L, Boundaries(Boundary::Reflect))));

TEST(BlockDecomposition, RefusesAGridOfTheWrongSize) {
  const Tiling tiling({64, 64, 32, 4, Boundaries(Boundary::Periodic)});
  EXPECT_THROW(BlockDecomposition(tiling, MPI_COMM_WORLD, {world_size() + 1, 1}), std::exception);
}

// The seam metric of a field held in blocks is the whole field's.
TEST_P(Blocks, SeamMetricOfBlocksIsTheWholeFieldsMetric) {
  const auto [height, width, halo, boundary] = GetParam();
  const Tiling tiling({height, width, 32, halo, boundary});
  auto field = random_field(height, width, 17);
  for (long i = 0; i < height; ++i)  // a step at every core border makes the seams show
    for (long j = 0; j < width; ++j) field[static_cast<size_t>(i * width + j)] += 0.5f * static_cast<float>(i / 9);
  const double whole = seam_metric(tiling, field.data());
  for (const auto dims : grids()) {
    BlockDecomposition d(tiling, MPI_COMM_WORLD, dims);
    const Rect b = d.block(d.rank());
    auto block = block_of(field, width, b);
    const auto grown = fill_regions(d, block.data(), 1, [&](int r) { return grown_block(d, r); });
    const double got = seam_metric(d, grown.data());
    if (std::isnan(whole)) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_NEAR(got, whole, 1e-12 * whole) << "grid " << d.dims()[0] << "x" << d.dims()[1];
    }
  }
}
