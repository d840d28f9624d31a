#include "flex/decomp/seams.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "flex/core/error.hpp"

namespace flex::decomp {

namespace {

// Borders along one axis: core starts after the first (patch row0 + halo), and 0 if it wraps.
std::vector<long> borders(long patches, bool wraps, long halo, const std::function<long(long)>& patch_start) {
  std::vector<long> out;
  if (wraps) out.push_back(0);
  for (long i = 1; i < patches; ++i) out.push_back(patch_start(i) + halo);
  return out;
}

}  // namespace

SeamLines seam_lines(const Tiling& t) {
  const auto& s = t.spec();
  const long cols = t.cols();
  return {borders(t.rows(), s.boundary.rows == Boundary::Periodic, s.halo,
                  [&](long i) { return t.patch(i * cols).row0; }),
          borders(cols, s.boundary.cols == Boundary::Periodic, s.halo, [&](long j) { return t.patch(j).col0; })};
}

namespace {

// Sums |jump| and counts of neighbour pairs, [0] away from the borders, [1] across them.
struct SeamSums {
  double at[2] = {0, 0}, count[2] = {0, 0};
  void pair(bool seam, float a, float b) {
    at[seam] += std::abs(static_cast<double>(a) - static_cast<double>(b));
    count[seam] += 1;
  }
  double metric() const {
    if (count[1] == 0 || count[0] == 0 || at[0] == 0) return std::numeric_limits<double>::quiet_NaN();
    return (at[1] / count[1]) / (at[0] / count[0]);
  }
};

// The pairs (r - 1, r) and (c - 1, c) of the pixels (r, c) of rows [r0, r1) x
// columns [c0, c1) of a field of H x W (r = 0, c = 0: the wrap pair, only
// where that axis wraps); value(r, c) for r >= r0 - 1, c >= c0 - 1, wrapped.
template <class Value>
SeamSums seam_sums(const Tiling& t, long r0, long r1, long c0, long c1, Value&& value) {
  const auto& s = t.spec();
  const SeamLines lines = seam_lines(t);
  std::vector<char> row_seam(static_cast<size_t>(s.height), 0), col_seam(static_cast<size_t>(s.width), 0);
  for (long r : lines.rows) row_seam[static_cast<size_t>(r)] = 1;
  for (long c : lines.cols) col_seam[static_cast<size_t>(c)] = 1;
  const bool wrap_rows = s.boundary.rows == Boundary::Periodic, wrap_cols = s.boundary.cols == Boundary::Periodic;
  SeamSums sums;
  for (long r = std::max(r0, wrap_rows ? 0L : 1L); r < r1; ++r)
    for (long c = c0; c < c1; ++c) sums.pair(row_seam[static_cast<size_t>(r)], value(r, c), value(r - 1, c));
  for (long r = r0; r < r1; ++r)
    for (long c = std::max(c0, wrap_cols ? 0L : 1L); c < c1; ++c)
      sums.pair(col_seam[static_cast<size_t>(c)], value(r, c), value(r, c - 1));
  return sums;
}

}  // namespace

double seam_metric(const Tiling& t, const float* f) {
  const auto& s = t.spec();
  const long H = s.height, W = s.width;
  return seam_sums(t, 0, H, 0, W, [&](long r, long c) { return f[((r + H) % H) * W + (c + W) % W]; }).metric();
}

Rect grown_block(const BlockDecomposition& d, int rank) {
  Rect g = d.block(rank);
  if (g.count() > 0) --g.rows.begin, --g.cols.begin;
  return g;
}

double seam_metric(const BlockDecomposition& d, const float* grown) {
  const Rect b = d.block(d.rank());
  const long cols = b.cols.size() + 1;
  SeamSums sums;
  if (b.count() > 0)
    sums = seam_sums(d.tiling(), b.rows.begin, b.rows.end, b.cols.begin, b.cols.end, [&](long r, long c) {
      return grown[(r - b.rows.begin + 1) * cols + (c - b.cols.begin + 1)];
    });
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sums.at, 2, MPI_DOUBLE, MPI_SUM, d.comm()));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sums.count, 2, MPI_DOUBLE, MPI_SUM, d.comm()));
  return sums.metric();
}

}  // namespace flex::decomp
