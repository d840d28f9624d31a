#include "flex/decomp/seams.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

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
  const SeamLines lines = seam_lines(t);
  std::vector<char> row_seam(static_cast<size_t>(H), 0), col_seam(static_cast<size_t>(W), 0);
  for (long r : lines.rows) row_seam[static_cast<size_t>(r)] = 1;
  for (long c : lines.cols) col_seam[static_cast<size_t>(c)] = 1;
  const bool wrap_rows = s.boundary.rows == Boundary::Periodic, wrap_cols = s.boundary.cols == Boundary::Periodic;
  double at[2] = {0, 0}, count[2] = {0, 0};  // [0]: away from the borders, [1]: across them
  const auto pair = [&](bool seam, float a, float b) {
    at[seam] += std::abs(static_cast<double>(a) - static_cast<double>(b));
    count[seam] += 1;
  };
  // The pair (r - 1, r) of every row r (r = 0: the wrap pair, only where rows wrap); columns alike.
  for (long r = wrap_rows ? 0 : 1; r < H; ++r) {
    const float* above = f + ((r + H - 1) % H) * W;
    const float* here = f + r * W;
    for (long c = 0; c < W; ++c) pair(row_seam[static_cast<size_t>(r)], here[c], above[c]);
  }
  for (long r = 0; r < H; ++r) {
    const float* row = f + r * W;
    for (long c = wrap_cols ? 0 : 1; c < W; ++c) pair(col_seam[static_cast<size_t>(c)], row[c], row[(c + W - 1) % W]);
  }
  if (count[1] == 0 || count[0] == 0 || at[0] == 0) return std::numeric_limits<double>::quiet_NaN();
  return (at[1] / count[1]) / (at[0] / count[0]);
}

}  // namespace flex::decomp
