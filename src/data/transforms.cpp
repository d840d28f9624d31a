#include "flex/data/transforms.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "flex/core/error.hpp"

namespace flex::data {
namespace {

// Keys (1981), eq. (15): W(x) = (a+2)|x|^3 - (a+3)|x|^2 + 1 on |x| <= 1,
// a|x|^3 - 5a|x|^2 + 8a|x| - 4a on 1 < |x| < 2, 0 beyond.
double keys_kernel(double x, double a) {
  x = std::abs(x);
  if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// Source coordinate of output i: PyTorch's area_pixel_compute_source_index
// for align_corners=False, cubic (no clamping at 0).
double source_coordinate(std::int64_t i, std::int64_t factor) {
  return (static_cast<double>(i) + 0.5) / static_cast<double>(factor) - 0.5;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
std::int64_t mod(std::int64_t a, std::int64_t n) { return ((a % n) + n) % n; }

enum class Edge { Wrap, Mirror, Clamp };

Edge edge_of(bool wraps) { return wraps ? Edge::Wrap : Edge::Mirror; }

// Low-res index j of an axis of n samples, continued past the ends.
std::int64_t edge_index(std::int64_t j, std::int64_t n, Edge edge) {
  switch (edge) {
    case Edge::Wrap: return mod(j, n);
    case Edge::Clamp: return std::clamp<std::int64_t>(j, 0, n - 1);
    case Edge::Mirror: {
      if (n == 1) return 0;
      const std::int64_t m = mod(j, 2 * (n - 1));  // the mirrored sequence has period 2(n - 1)
      return m < n ? m : 2 * (n - 1) - m;
    }
  }
  return j;
}

// Source coordinate of output j of a x`factor` upsampling of n_lr samples.
using SourceCoordinate = double (*)(std::int64_t j, std::int64_t n_lr, std::int64_t factor);

// Whole-axis matrix M [n_lr * factor, n_lr], out = M * lr: output j takes the
// Keys stencil around source(j); indices past the ends wrap (periodic box) or
// clamp (PyTorch's upsample_get_value_bounded).
at::Tensor axis_matrix(std::int64_t n_lr, std::int64_t factor, SourceCoordinate source, Edge edge, double a) {
  const std::int64_t n_out = n_lr * factor;
  auto m = torch::zeros({n_out, n_lr}, torch::kDouble);
  auto acc = m.accessor<double, 2>();
  for (std::int64_t i = 0; i < n_out; ++i) {
    const double s = source(i, n_lr, factor);
    const auto j0 = static_cast<std::int64_t>(std::floor(s));
    const double t = s - static_cast<double>(j0);
    for (std::int64_t k = -1; k <= 2; ++k) {
      const std::int64_t j = j0 + k;
      const std::int64_t col = edge_index(j, n_lr, edge);
      acc[i][col] += keys_kernel(t - static_cast<double>(k), a);
    }
  }
  return m;
}

// [..., h, w] -> [..., h*f, w*f], one axis matrix per dimension.
at::Tensor upsample_separable(const at::Tensor& lr, std::int64_t factor, SourceCoordinate source, Edge rows,
                              Edge cols, double a) {
  FLEX_CHECK(lr.dim() >= 2 && factor >= 1,
             "bicubic upsampling: need [..., h, w] and factor >= 1, got dim " << lr.dim() << ", factor " << factor);
  const auto mr = axis_matrix(lr.size(-2), factor, source, rows, a).to(lr.options());
  const auto mc = axis_matrix(lr.size(-1), factor, source, cols, a).to(lr.options());
  return torch::matmul(torch::matmul(mr, lr), mc.t());
}

// The conditioning's coordinate (source_coordinate) in axis_matrix's signature.
double conditioning_coordinate(std::int64_t j, std::int64_t, std::int64_t factor) {
  return source_coordinate(j, factor);
}

// Sample i of subsample() lies at high-res index i*f.
double aligned_coordinate(std::int64_t j, std::int64_t, std::int64_t factor) {
  return static_cast<double>(j) / static_cast<double>(factor);
}

// PyTorch's area_pixel_compute_scale / area_pixel_compute_source_index for
// align_corners=True (aten/src/ATen/native/UpSample.h): scale first, then scale * j.
double align_corners_coordinate(std::int64_t j, std::int64_t n_lr, std::int64_t factor) {
  const std::int64_t n_out = n_lr * factor;
  const double scale = n_out > 1 ? static_cast<double>(n_lr - 1) / static_cast<double>(n_out - 1) : 0.0;
  return scale * static_cast<double>(j);
}

}  // namespace

at::Tensor subsample(const at::Tensor& x, std::int64_t factor) {
  FLEX_CHECK(factor >= 1 && x.dim() >= 2, "subsample: factor " << factor << ", dim " << x.dim());
  using torch::indexing::Slice;
  return x.index({"...", Slice(0, torch::indexing::None, factor), Slice(0, torch::indexing::None, factor)});
}

LowResWindow bicubic_window(std::int64_t out_begin, std::int64_t out_count, std::int64_t factor) {
  FLEX_CHECK(out_count > 0, "bicubic_window: empty output");
  const auto first = static_cast<std::int64_t>(std::floor(source_coordinate(out_begin, factor))) - 1;
  const auto last = static_cast<std::int64_t>(std::floor(source_coordinate(out_begin + out_count - 1, factor))) + 2;
  return {first, last - first + 1};
}

at::Tensor bicubic_matrix(std::int64_t out_begin, std::int64_t out_count, std::int64_t factor, std::int64_t lr_begin,
                          std::int64_t lr_count, std::int64_t n_lr, double a) {
  FLEX_CHECK(n_lr > 0 && lr_count > 0, "bicubic_matrix: empty low-res axis");
  auto m = torch::zeros({out_count, lr_count}, torch::kDouble);
  auto acc = m.accessor<double, 2>();
  for (std::int64_t i = 0; i < out_count; ++i) {
    const double s = source_coordinate(out_begin + i, factor);
    const auto j0 = static_cast<std::int64_t>(std::floor(s));
    const double t = s - static_cast<double>(j0);
    for (std::int64_t k = -1; k <= 2; ++k) {
      const std::int64_t j = j0 + k;
      // Column holding j (mod n_lr): the window may be the whole axis or a slice of it.
      std::int64_t col = mod(j - lr_begin, n_lr);
      FLEX_CHECK(col < lr_count, "bicubic_matrix: low-res index " << j << " outside window [" << lr_begin << ", "
                                                                  << lr_begin + lr_count << ")");
      acc[i][col] += keys_kernel(t - static_cast<double>(k), a);
    }
  }
  return m;
}

at::Tensor upsample_bicubic_conditioning(const at::Tensor& lr, std::int64_t factor, io::Periodicity wraps, double a) {
  FLEX_CHECK(lr.dim() >= 2, "upsample_bicubic_conditioning: need [..., h, w]");
  if (!wraps.rows || !wraps.cols)
    return upsample_separable(lr, factor, conditioning_coordinate, edge_of(wraps.rows), edge_of(wraps.cols), a);
  // bicubic_matrix: the very matrices the training windows use (sr_patch_from_window).
  const std::int64_t h = lr.size(-2), w = lr.size(-1);
  auto mr = bicubic_matrix(0, h * factor, factor, 0, h, h, a).to(lr.options());
  auto mc = bicubic_matrix(0, w * factor, factor, 0, w, w, a).to(lr.options());
  return torch::matmul(torch::matmul(mr, lr), mc.t());
}

at::Tensor upsample_bicubic_aligned(const at::Tensor& lr, std::int64_t factor, io::Periodicity wraps, double a) {
  return upsample_separable(lr, factor, aligned_coordinate, edge_of(wraps.rows), edge_of(wraps.cols), a);
}

at::Tensor upsample_bicubic_align_corners(const at::Tensor& lr, std::int64_t factor, double a) {
  return upsample_separable(lr, factor, align_corners_coordinate, Edge::Clamp, Edge::Clamp, a);
}

at::Tensor upsample_bicubic(const at::Tensor& lr, std::int64_t factor, Bicubic kind, io::Periodicity wraps) {
  switch (kind) {
    case Bicubic::Conditioning: return upsample_bicubic_conditioning(lr, factor, wraps);
    case Bicubic::Aligned: return upsample_bicubic_aligned(lr, factor, wraps);
    case Bicubic::AlignCorners: return upsample_bicubic_align_corners(lr, factor);
  }
  return upsample_bicubic_conditioning(lr, factor, wraps);
}

Bicubic parse_sr_upsampling(const std::string& word) {
  FLEX_CHECK(word == "shifted" || word == "aligned", "SR upsampling '" << word << "': expected shifted or aligned");
  return word == "aligned" ? Bicubic::Aligned : Bicubic::Conditioning;
}

const char* sr_upsampling_name(Bicubic kind) { return kind == Bicubic::Aligned ? "aligned" : "shifted"; }

namespace {

SourceCoordinate coordinate_of(Bicubic kind) {
  switch (kind) {
    case Bicubic::Conditioning: return conditioning_coordinate;
    case Bicubic::Aligned: return aligned_coordinate;
    case Bicubic::AlignCorners: return align_corners_coordinate;
  }
  return conditioning_coordinate;
}

// The whole-field functions' edges: align_corners clamps (PyTorch); the
// others wrap or mirror.
Edge edge_for(Bicubic kind, bool wraps) { return kind == Bicubic::AlignCorners ? Edge::Clamp : edge_of(wraps); }

// Calls f(row, low-res index, weight) for the four taps of each output; a
// wrapping axis keeps the index unwrapped, the others map it into [0, n_lr).
template <class F>
void for_each_tap(const std::vector<std::int64_t>& outputs, std::int64_t factor, std::int64_t n_lr, Bicubic kind,
                  bool wraps, double a, F&& f) {
  const SourceCoordinate source = coordinate_of(kind);
  const Edge edge = edge_for(kind, wraps);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const double s = source(outputs[i], n_lr, factor);
    const auto j0 = static_cast<std::int64_t>(std::floor(s));
    const double t = s - static_cast<double>(j0);
    for (std::int64_t k = -1; k <= 2; ++k) {
      const std::int64_t j = j0 + k;
      f(static_cast<std::int64_t>(i), edge == Edge::Wrap ? j : edge_index(j, n_lr, edge),
        keys_kernel(t - static_cast<double>(k), a));
    }
  }
}

}  // namespace

LowResWindow bicubic_needed(const std::vector<std::int64_t>& outputs, std::int64_t factor, std::int64_t n_lr,
                            Bicubic kind, bool wraps) {
  if (outputs.empty()) return {0, 0};
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
  for_each_tap(outputs, factor, n_lr, kind, wraps, kBicubicA, [&](std::int64_t, std::int64_t j, double) {
    lo = std::min(lo, j), hi = std::max(hi, j);
  });
  return {lo, hi - lo + 1};
}

at::Tensor bicubic_axis_matrix(const std::vector<std::int64_t>& outputs, std::int64_t factor, std::int64_t n_lr,
                               Bicubic kind, bool wraps, LowResWindow have, double a) {
  auto m = torch::zeros({static_cast<std::int64_t>(outputs.size()), have.count}, torch::kDouble);
  auto acc = m.accessor<double, 2>();
  for_each_tap(outputs, factor, n_lr, kind, wraps, a, [&](std::int64_t i, std::int64_t j, double w) {
    const std::int64_t col = wraps ? mod(j - have.begin, n_lr) : j - have.begin;
    FLEX_CHECK(col >= 0 && col < have.count,
               "bicubic_axis_matrix: low-res index " << j << " outside the window [" << have.begin << ", "
                                                     << have.begin + have.count << ")");
    acc[i][col] += w;
  });
  return m;
}

namespace {

// Outputs [begin, begin + count) of an axis.
std::vector<std::int64_t> run_of(std::int64_t begin, std::int64_t count) {
  std::vector<std::int64_t> out(static_cast<size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) out[static_cast<size_t>(i)] = begin + i;
  return out;
}

// A training patch is upsampled as if its field were periodic: the window
// keeps indices unwrapped, and between walls it lies inside the field.
constexpr bool kPatchWraps = true;

}  // namespace

WindowSpec sr_read_window(std::int64_t row0, std::int64_t col0, std::int64_t patch, std::int64_t factor,
                          Bicubic kind) {
  FLEX_CHECK(kind != Bicubic::AlignCorners, "sr_read_window: align_corners is a baseline, not a conditioning");
  // n_lr only bounds a non-wrapping axis; any size serves a wrapping one.
  const auto needed = [&](std::int64_t begin) {
    return bicubic_needed(run_of(begin, patch), factor, 1, kind, kPatchWraps);
  };
  const LowResWindow r = needed(row0), c = needed(col0);
  return {r.begin * factor, c.begin * factor, (r.count - 1) * factor + 1, (c.count - 1) * factor + 1};
}

SrPatch sr_patch_from_window(const at::Tensor& window, const WindowSpec& spec, std::int64_t row0, std::int64_t col0,
                             std::int64_t patch, std::int64_t factor, std::int64_t n_rows, std::int64_t n_cols,
                             Bicubic kind) {
  FLEX_CHECK(n_rows % factor == 0 && n_cols % factor == 0,
             "field " << n_rows << "x" << n_cols << " is not divisible by the SR factor " << factor);
  FLEX_CHECK(window.size(-2) == spec.rows && window.size(-1) == spec.cols, "window shape does not match its spec");
  FLEX_CHECK(spec.row0 % factor == 0 && spec.col0 % factor == 0, "window must start on the low-res grid");
  const std::int64_t lr_r0 = floor_div(spec.row0, factor), lr_c0 = floor_div(spec.col0, factor);
  at::Tensor lr = subsample(window, factor);
  const auto matrix = [&](std::int64_t begin, std::int64_t lr0, std::int64_t lr_count, std::int64_t n) {
    return bicubic_axis_matrix(run_of(begin, patch), factor, n / factor, kind, kPatchWraps, {lr0, lr_count})
        .to(window.options());
  };
  const auto mr = matrix(row0, lr_r0, lr.size(-2), n_rows), mc = matrix(col0, lr_c0, lr.size(-1), n_cols);
  SrPatch out;
  out.upsampled = torch::matmul(torch::matmul(mr, lr), mc.t());
  // The patch inside the window (global row0 may differ from spec.row0 by a wrap).
  const std::int64_t dr = mod(row0 - spec.row0, n_rows), dc = mod(col0 - spec.col0, n_cols);
  FLEX_CHECK(dr + patch <= spec.rows && dc + patch <= spec.cols, "patch outside its read window");
  out.truth = window.narrow(-2, dr, patch).narrow(-1, dc, patch);
  return out;
}

at::Tensor cut_patch_periodic(const at::Tensor& x, std::int64_t row0, std::int64_t col0, std::int64_t patch) {
  const std::int64_t h = x.size(-2), w = x.size(-1);
  auto rows = torch::remainder(torch::arange(row0, row0 + patch, torch::kLong), h);
  auto cols = torch::remainder(torch::arange(col0, col0 + patch, torch::kLong), w);
  return x.index_select(-2, rows).index_select(-1, cols);
}

}  // namespace flex::data
