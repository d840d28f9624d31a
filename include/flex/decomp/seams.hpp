// How visible the patch borders of a stitched field are (doc/decomp.md):
// the mean |jump| between neighbouring samples across the lines where one
// patch's core meets the next, over the same mean between every other pair
// of neighbours. 1.0 = the borders look like the rest of the field; a seam
// shows as a value above 1.
#pragma once

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
