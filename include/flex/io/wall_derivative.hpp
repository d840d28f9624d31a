// Vorticity of velocity sampled between walls (PDEBench's Dirichlet box),
// derived on read. Pure numerics on raw row-major planes: no HDF5, no MPI.
#pragma once

#include <vector>

namespace flex::io {

// A block of rows [row0, row0 + rows) and columns [col0, col0 + cols) of a
// field of field_rows x field_cols samples with spacings dx (rows) and dy.
struct WallBlock {
  long row0 = 0, rows = 0, col0 = 0, cols = 0;
  long field_rows = 0, field_cols = 0;
  double dx = 1.0, dy = 1.0;
};

// w = dv/dx - du/dy on `block`, x along rows: second-order central
// differences inside, second-order one-sided ones, (-3 f0 + 4 f1 - f2)/(2h),
// on the first and last sample of the field. u and v hold `read` (the block
// and up to two more samples on each side, clipped to the field); the result
// holds `out` (inside `read`), row-major.
std::vector<float> vorticity_between_walls(const float* u, const float* v, const WallBlock& read,
                                           const WallBlock& out);

// The block to read so vorticity_between_walls can fill `out`.
WallBlock vorticity_read_block(const WallBlock& out);

}  // namespace flex::io
