// The pure numerics of the training samples (SPEC §3), on tensors, no files:
// uniform subsampling, periodic bicubic upsampling (whole field, or exactly
// the same values on a window), patch cutting, residual targets; and the two
// honest bicubic SR baselines (SPEC §3, baselines) beside the conditioning.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "flex/data/bicubic.hpp"
#include "flex/io/layout.hpp"

namespace flex::data {

// Keys (1981) cubic-convolution parameter used by PyTorch's bicubic
// (aten/src/ATen/native/UpSample.h, cubic_convolution1/2 with A = -0.75).
constexpr double kBicubicA = -0.75;

// x[..., ::factor, ::factor]: the low-res field of SPEC §3 (every factor-th point).
at::Tensor subsample(const at::Tensor& x, std::int64_t factor);

// Low-res indices [begin, begin + count) (begin may be negative or past the
// end: indices are taken modulo the low-res size) that the bicubic values of
// high-res outputs [out_begin, out_begin + out_count) depend on.
struct LowResWindow {
  std::int64_t begin = 0, count = 0;
};
LowResWindow bicubic_window(std::int64_t out_begin, std::int64_t out_count, std::int64_t factor);

// Interpolation matrix M [out_count, lr_count] with out = M * lr along one
// axis: output i (global index out_begin + i) sits at source coordinate
// (i + 0.5) / factor - 0.5 (PyTorch's align_corners=False), weights from the
// Keys kernel; low-res indices wrap modulo n_lr (periodic box) instead of
// PyTorch's edge clamping. Column k holds low-res index (lr_begin + k) mod n_lr;
// the window must contain every index needed (checked).
at::Tensor bicubic_matrix(std::int64_t out_begin, std::int64_t out_count, std::int64_t factor,
                          std::int64_t lr_begin, std::int64_t lr_count, std::int64_t n_lr, double a = kBicubicA);

// Bicubic upsampling of a whole field [..., h, w] -> [..., h*f, w*f]: the
// conditioning field the network sees (bicubic_matrix's coordinates). The
// samples of subsample() sit at i*f but are read as cell centres, so the
// result is shifted by (f - 1)/2 px (3.5 px at x8): not an honest baseline.
// Along an axis that `wraps` the stencil wraps (periodic box); along one that
// does not (walls, latitude) it is mirrored about the edge sample,
// lr[-k] = lr[k], so one wall's values never leak into the other's.
at::Tensor upsample_bicubic_conditioning(const at::Tensor& lr, std::int64_t factor, io::Periodicity wraps = {},
                                         double a = kBicubicA);

// SR baselines, [..., h, w] -> [..., h*f, w*f], Keys kernel:
// aligned: low-res sample i at its true position i*f (output j at source
// coordinate j/f, so outputs j = i*f return the samples); edges as
// upsample_bicubic_conditioning's.
at::Tensor upsample_bicubic_aligned(const at::Tensor& lr, std::int64_t factor, io::Periodicity wraps = {},
                                    double a = kBicubicA);
// SuperBench's: F.interpolate(mode='bicubic', align_corners=True), i.e.
// output j at source coordinate j (h - 1)/(h*f - 1), indices clamped at the
// edges (not periodic); equals at::upsample_bicubic2d(align_corners=true).
at::Tensor upsample_bicubic_align_corners(const at::Tensor& lr, std::int64_t factor, double a = kBicubicA);

// The same three upsamplings on part of a field, from a window of its
// low-res samples, with the whole-field functions' weights (to round-off:
// only the summation order of the matrix products differs). Along one axis:
// high-res positions `outputs` (any integer along an axis that wraps, whose
// period is n_lr * factor; [0, n_lr * factor) along one that does not and
// for AlignCorners, which is not periodic), and
// the low-res window `have`: samples (have.begin + k) mod n_lr, k < have.count.
// (Bicubic: flex/data/bicubic.hpp.)
// The whole-field upsampling of that kind (the three functions above).
at::Tensor upsample_bicubic(const at::Tensor& lr, std::int64_t factor, Bicubic kind, io::Periodicity wraps = {});
// The low-res window `outputs` need (for a non-wrapping axis inside [0, n_lr)).
LowResWindow bicubic_needed(const std::vector<std::int64_t>& outputs, std::int64_t factor, std::int64_t n_lr,
                            Bicubic kind, bool wraps);
// [outputs.size(), have.count]: out = M * window along that axis.
at::Tensor bicubic_axis_matrix(const std::vector<std::int64_t>& outputs, std::int64_t factor, std::int64_t n_lr,
                               Bicubic kind, bool wraps, LowResWindow have, double a = kBicubicA);

// One high-res patch of a field and its periodic bicubic conditioning (of
// `kind`: Conditioning or Aligned), from a window read around it. `window` [..., Hw, Ww] holds high-res rows
// window_row0 + [0, Hw) and columns window_col0 + [0, Ww) (global indices,
// may wrap) of a field of n_rows x n_cols; it must start on the low-res grid
// and contain the points bicubic_window() asks for (see sr_read_window).
struct SrPatch {
  at::Tensor truth;      // [..., P, P]
  at::Tensor upsampled;  // [..., P, P]: bicubic(subsample(field)) on the patch
};
struct WindowSpec {
  std::int64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
};
// The window to read for a P x P patch at (row0, col0).
WindowSpec sr_read_window(std::int64_t row0, std::int64_t col0, std::int64_t patch, std::int64_t factor,
                          Bicubic kind = Bicubic::Conditioning);
SrPatch sr_patch_from_window(const at::Tensor& window, const WindowSpec& spec, std::int64_t row0, std::int64_t col0,
                             std::int64_t patch, std::int64_t factor, std::int64_t n_rows, std::int64_t n_cols,
                             Bicubic kind = Bicubic::Conditioning);

// x[..., r0:r0+p, c0:c0+p] with periodic wrap.
at::Tensor cut_patch_periodic(const at::Tensor& x, std::int64_t row0, std::int64_t col0, std::int64_t patch);

// SR residual r = x_hr - up(x_lr); FC residual r = x_{t+h} - x_t (SPEC §3).
inline at::Tensor residual(const at::Tensor& target, const at::Tensor& base) { return target - base; }

}  // namespace flex::data
