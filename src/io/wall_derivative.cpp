#include "flex/io/wall_derivative.hpp"

#include <algorithm>

#include "flex/core/error.hpp"

namespace flex::io {

namespace {

// d/ds of samples f(k * stride) at position k of n (global index g of a field
// of `extent`): one-sided at the field's ends, central inside.
inline double derivative(const float* f, long k, long stride, long g, long extent, double h) {
  if (g == 0) return (-3.0 * f[k * stride] + 4.0 * f[(k + 1) * stride] - f[(k + 2) * stride]) / (2 * h);
  if (g == extent - 1) return (3.0 * f[k * stride] - 4.0 * f[(k - 1) * stride] + f[(k - 2) * stride]) / (2 * h);
  return (f[(k + 1) * stride] - f[(k - 1) * stride]) / (2 * h);
}

}  // namespace

WallBlock vorticity_read_block(const WallBlock& out) {
  WallBlock r = out;
  r.row0 = std::max(0L, out.row0 - 2);
  r.rows = std::min(out.field_rows, out.row0 + out.rows + 2) - r.row0;
  r.col0 = std::max(0L, out.col0 - 2);
  r.cols = std::min(out.field_cols, out.col0 + out.cols + 2) - r.col0;
  return r;
}

std::vector<float> vorticity_between_walls(const float* u, const float* v, const WallBlock& read,
                                           const WallBlock& out) {
  FLEX_CHECK(read.field_rows >= 3 && read.field_cols >= 3, "vorticity needs at least 3x3 samples");
  FLEX_CHECK(out.row0 >= read.row0 && out.row0 + out.rows <= read.row0 + read.rows && out.col0 >= read.col0 &&
                 out.col0 + out.cols <= read.col0 + read.cols,
             "vorticity: the output block lies outside the block read");
  std::vector<float> w(static_cast<size_t>(out.rows * out.cols));
  for (long i = 0; i < out.rows; ++i) {
    const long gi = out.row0 + i, ki = gi - read.row0;
    for (long j = 0; j < out.cols; ++j) {
      const long gj = out.col0 + j, kj = gj - read.col0;
      const double dv_dx = derivative(v + kj, ki, read.cols, gi, read.field_rows, read.dx);
      const double du_dy = derivative(u + ki * read.cols, kj, 1, gj, read.field_cols, read.dy);
      w[static_cast<size_t>(i * out.cols + j)] = static_cast<float>(dv_dx - du_dy);
    }
  }
  return w;
}

}  // namespace flex::io
