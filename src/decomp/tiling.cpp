#include "flex/decomp/tiling.hpp"

#include <cmath>

#include "flex/core/error.hpp"

namespace flex::decomp {

namespace {

// Core starts spread evenly: n = ceil(extent / stride) cores of length <= stride,
// so a P-wide window starting `halo` before each core covers it with halo to spare.
std::vector<long> core_starts(long extent, long stride) {
  const long n = (extent + stride - 1) / stride;
  std::vector<long> starts(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) starts[static_cast<size_t>(i)] = (i * extent) / n;
  return starts;
}

// Whole-sample symmetric reflection (numpy "reflect"): -1 -> 1, n -> n-2.
long reflect(long i, long n) {
  if (n == 1) return 0;
  const long period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

long wrap(long i, long n) {
  i %= n;
  return i < 0 ? i + n : i;
}

Boundary parse_boundary(const std::string& word, const std::string& text) {
  if (word == "periodic") return Boundary::Periodic;
  if (word == "reflect") return Boundary::Reflect;
  FLEX_REQUIRE(false, "boundary '" << text << "': expected periodic, reflect or <rows>,<cols> (e.g. reflect,periodic)");
}

const char* boundary_name(Boundary b) { return b == Boundary::Periodic ? "periodic" : "reflect"; }

}  // namespace

Boundaries parse_boundaries(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos) return parse_boundary(text, text);
  return {parse_boundary(text.substr(0, comma), text), parse_boundary(text.substr(comma + 1), text)};
}

std::string boundaries_name(const Boundaries& b) {
  if (b.rows == b.cols) return boundary_name(b.rows);
  return std::string(boundary_name(b.rows)) + "," + boundary_name(b.cols);
}

Tiling::Tiling(const TilingSpec& spec) : spec_(spec) {
  FLEX_REQUIRE(spec.height > 0 && spec.width > 0, "tiling: field size " << spec.height << "x" << spec.width
                                                                          << " must be positive");
  FLEX_REQUIRE(spec.patch > 0, "tiling: patch size " << spec.patch << " must be positive");
  FLEX_REQUIRE(spec.halo >= 0 && 2 * spec.halo < spec.patch,
               "tiling: halo " << spec.halo << " must lie in [0, patch/2) for patch " << spec.patch);
  const long stride = spec.patch - 2 * spec.halo;
  row_starts_ = core_starts(spec.height, stride);
  col_starts_ = core_starts(spec.width, stride);
  // Blending profile: raised-cosine ramp across the halo, 1 over the core;
  // the half-pixel offset keeps every weight inside the patch positive.
  ramp_.assign(static_cast<size_t>(spec.patch), 1.0);
  for (long k = 0; k < spec.patch; ++k) {
    const long d = std::min(k, spec.patch - 1 - k);
    if (d < spec.halo) {
      const double s = std::sin(0.5 * M_PI * (static_cast<double>(d) + 0.5) / static_cast<double>(spec.halo));
      ramp_[static_cast<size_t>(k)] = s * s;
    }
  }
}

Patch Tiling::patch(long index) const {
  FLEX_CHECK(index >= 0 && index < count(), "patch index " << index << " outside [0, " << count() << ")");
  const long r = index / cols(), c = index % cols();
  return {index, row_starts_[static_cast<size_t>(r)] - spec_.halo, col_starts_[static_cast<size_t>(c)] - spec_.halo};
}

long Tiling::core_row(long i) const {
  FLEX_CHECK(i >= 0 && i <= rows(), "core row " << i << " outside [0, " << rows() << "]");
  return i == rows() ? spec_.height : row_starts_[static_cast<size_t>(i)];
}
long Tiling::core_col(long j) const {
  FLEX_CHECK(j >= 0 && j <= cols(), "core column " << j << " outside [0, " << cols() << "]");
  return j == cols() ? spec_.width : col_starts_[static_cast<size_t>(j)];
}

long Tiling::field_row(long r) const {
  return spec_.boundary.rows == Boundary::Periodic ? wrap(r, spec_.height) : reflect(r, spec_.height);
}
long Tiling::field_col(long c) const {
  return spec_.boundary.cols == Boundary::Periodic ? wrap(c, spec_.width) : reflect(c, spec_.width);
}

void Tiling::extract(const float* field, long index, float* out) const {
  const Patch p = patch(index);
  const long P = spec_.patch;
  std::vector<long> cols(static_cast<size_t>(P));
  for (long j = 0; j < P; ++j) cols[static_cast<size_t>(j)] = field_col(p.col0 + j);
  for (long i = 0; i < P; ++i) {
    const float* row = field + field_row(p.row0 + i) * spec_.width;
    for (long j = 0; j < P; ++j) out[i * P + j] = row[cols[static_cast<size_t>(j)]];
  }
}

double Tiling::weight(long i, long j) const { return ramp_[static_cast<size_t>(i)] * ramp_[static_cast<size_t>(j)]; }

Stitcher::Stitcher(const Tiling& tiling)
    : tiling_(tiling),
      numerator_(static_cast<size_t>(tiling.spec().height * tiling.spec().width), 0.0),
      weight_(numerator_.size(), 0.0) {}

void Stitcher::add(long index, const float* patch) {
  const auto& s = tiling_.spec();
  const Patch p = tiling_.patch(index);
  for (long i = 0; i < s.patch; ++i) {
    const long r = p.row0 + i;
    // Mirrored pixels are copies of interior ones, predicted with less context.
    if (s.boundary.rows == Boundary::Reflect && (r < 0 || r >= s.height)) continue;
    const long fr = tiling_.field_row(r);
    for (long j = 0; j < s.patch; ++j) {
      const long c = p.col0 + j;
      if (s.boundary.cols == Boundary::Reflect && (c < 0 || c >= s.width)) continue;
      const size_t k = static_cast<size_t>(fr * s.width + tiling_.field_col(c));
      const double w = tiling_.weight(i, j);
      numerator_[k] += w * static_cast<double>(patch[i * s.patch + j]);
      weight_[k] += w;
    }
  }
}

std::vector<float> Stitcher::result() const {
  std::vector<float> out(numerator_.size());
  for (size_t k = 0; k < out.size(); ++k) {
    FLEX_CHECK(weight_[k] > 0.0, "stitching: pixel " << k << " is covered by no patch");
    // Normalising by the summed weights makes them an exact partition of unity.
    out[k] = static_cast<float>(numerator_[k] / weight_[k]);
  }
  return out;
}

}  // namespace flex::decomp
