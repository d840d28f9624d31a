// Per-tile error and truth norms of a row-slab field: one kernel sums each
// local row's stretch of every tile column (no atomics), the host adds the
// rows into their tiles, one MPI sum joins the ranks.
#include "flex/analysis/tiles.hpp"

#include <algorithm>
#include <numeric>

#include "flex/core/error.hpp"
#include "policy.hpp"

namespace flex::analysis {

std::vector<TileNorms> tile_norms(const SlabView& truth, const SlabView& prediction, long side, Affine a) {
  FLEX_CHECK(truth.rows() == prediction.rows() && truth.cols() == prediction.cols() && truth.row0 == prediction.row0,
             "tile_norms: truth and prediction slabs differ in shape");
  const long rows = truth.rows(), cols = truth.cols();
  FLEX_CHECK(side > 0 && truth.global_rows % side == 0 && cols % side == 0,
             "tile_norms: tile side " << side << " does not divide the " << truth.global_rows << "x" << cols
                                      << " field");
  const long tile_rows = truth.global_rows / side, tile_cols = cols / side;
  const auto y = truth.local, p = prediction.local;
  const double s = a.scale, b = a.shift;

  Kokkos::View<double** [2], Kokkos::LayoutRight, MemSpace> part("analysis::tile_rows", static_cast<size_t>(rows),
                                                                  static_cast<size_t>(tile_cols));
  Kokkos::parallel_for(
      "analysis::tile_norms", over_plane(rows, tile_cols), KOKKOS_LAMBDA(const long r, const long t) {
        double e2[kLanes] = {}, y2[kLanes] = {};
        const long c0 = t * side;
        for (long j = 0; j < side; ++j) {
          const int l = static_cast<int>(j % kLanes);
          const double yi = s * y(r, c0 + j) + b, e = s * p(r, c0 + j) + b - yi;
          e2[l] += e * e;
          y2[l] += yi * yi;
        }
        double se = 0, sy = 0;
        for (int l = 0; l < kLanes; ++l) se += e2[l], sy += y2[l];
        part(r, t, 0) = se;
        part(r, t, 1) = sy;
      });
  const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), part);

  std::vector<double> sums(static_cast<size_t>(2 * tile_rows * tile_cols), 0.0);
  for (long r = 0; r < rows; ++r) {
    const long tr = (truth.row0 + r) / side;
    for (long t = 0; t < tile_cols; ++t) {
      sums[2 * (tr * tile_cols + t)] += host(r, t, 0);
      sums[2 * (tr * tile_cols + t) + 1] += host(r, t, 1);
    }
  }
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_DOUBLE, MPI_SUM,
                               truth.comm));

  std::vector<TileNorms> tiles;
  tiles.reserve(static_cast<size_t>(tile_rows * tile_cols));
  for (long tr = 0; tr < tile_rows; ++tr)
    for (long t = 0; t < tile_cols; ++t) {
      const size_t k = static_cast<size_t>(2 * (tr * tile_cols + t));
      tiles.push_back({tr, t, sums[k], sums[k + 1]});
    }
  return tiles;
}

std::vector<double> batch_rfne(const std::vector<TileNorms>& tiles, long batch) {
  FLEX_CHECK(batch > 0, "batch_rfne: batch must be positive");
  std::vector<double> out;
  for (size_t first = 0; first < tiles.size(); first += static_cast<size_t>(batch)) {
    const size_t last = std::min(tiles.size(), first + static_cast<size_t>(batch));
    double e2 = 0, y2 = 0;
    for (size_t k = first; k < last; ++k) e2 += tiles[k].error2, y2 += tiles[k].truth2;
    out.push_back(std::sqrt(e2 / y2));
  }
  return out;
}

double tiled_rfne(const std::vector<TileNorms>& tiles, long batch) {
  const std::vector<double> b = batch_rfne(tiles, batch);
  return b.empty() ? std::nan("") : std::accumulate(b.begin(), b.end(), 0.0) / static_cast<double>(b.size());
}

}  // namespace flex::analysis
