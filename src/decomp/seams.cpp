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


double seam_metric(const Tiling& t, const float* f) {
  const auto& s = t.spec();
  const long H = s.height, W = s.width;
  return seam_sums(t, 0, H, 0, W, [&](long r, long c) { return f[((r + H) % H) * W + (c + W) % W]; }).metric();
}

double SeamSums::metric() const {
  if (count[1] == 0 || count[0] == 0 || at[0] == 0) return std::numeric_limits<double>::quiet_NaN();
  return (at[1] / count[1]) / (at[0] / count[0]);
}

void SeamSums::sum_over(MPI_Comm comm) {
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, at, 2, MPI_DOUBLE, MPI_SUM, comm));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, count, 2, MPI_DOUBLE, MPI_SUM, comm));
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
  sums.sum_over(d.comm());
  return sums.metric();
}

}  // namespace flex::decomp
