// How visible the patch borders of a stitched field are (doc/decomp.md):
// the mean |jump| between neighbouring samples across the lines where one
// patch's core meets the next, over the same mean between every other pair
// of neighbours. 1.0 = the borders look like the rest of the field; a seam
// shows as a value above 1.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "flex/decomp/blocks.hpp"
#include "flex/decomp/tiling.hpp"

namespace flex::decomp {

// Field rows (columns) r where a border lies between r - 1 and r: the start
// of every core after the first, and 0 along an axis that wraps (between the
// last core and the first).
struct SeamLines {
  std::vector<long> rows, cols;
};
SeamLines seam_lines(const Tiling& tiling);

// |jump| summed over neighbour pairs and their counts, [0] away from the
// borders, [1] across them; metric() is the ratio of the two means (NaN
// without pairs of either kind or with a constant field away from borders).
struct SeamSums {
  double at[2] = {0, 0}, count[2] = {0, 0};
  void pair(bool seam, float a, float b) {
    at[seam] += std::abs(static_cast<double>(a) - static_cast<double>(b));
    count[seam] += 1;
  }
  double metric() const;
  void sum_over(MPI_Comm comm);  // every rank's pairs, collective
};

// The pairs (r - 1, r) and (c - 1, c) of the pixels (r, c) of rows [r0, r1) x
// columns [c0, c1) of a field stitched on `t` (r = 0, c = 0: the wrap pair,
// only where that axis wraps); value(r, c) for r >= r0 - 1, c >= c0 - 1,
// wrapped. Any split of the field into such windows sums to the whole's.
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

// The metric of an H x W row-major field stitched on `tiling`; NaN when the
// tiling has no borders (one patch between walls) or the field is constant
// away from them.
double seam_metric(const Tiling& tiling, const float* field);

// The same metric of a field held in blocks (blocks.hpp). `grown` holds this
// rank's grown_block(d, d.rank()) (fill_regions): its block and the row above
// and column left of it, the neighbours of its first row and column.
// Collective over d.comm().
Rect grown_block(const BlockDecomposition& d, int rank);
double seam_metric(const BlockDecomposition& d, const float* grown);

}  // namespace flex::decomp
