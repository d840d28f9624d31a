// The baselines every inference run scores and writes beside its prediction
// (SPEC §3): for SR the aligned periodic bicubic (the honest one), the
// conditioning field the network sees (samples read as cell centres: 3.5 px
// off at x8) and SuperBench's align_corners=True bicubic; for FC persistence
// (x_{t0} as the forecast of every lead). <stem>.baselines.h5 holds them as
// channels in this order (attribute `channels`; for a C-channel prediction
// B*C channels, baseline-major, named `<baseline>.<channel>`), `flex analyze`
// reads it.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/core/task.hpp"
#include "flex/io/layout.hpp"

namespace flex::infer {

// Channel names of the baselines file: bicubic_aligned, conditioning,
// bicubic_align_corners (sr); persistence (fc).
const std::vector<std::string>& baseline_names(Task task);

// coarse [C, h, w] and the conditioning field [C, H, W] made from it ->
// [3, C, H, W] in baseline_names(sr) order.
// The bicubic baselines wrap along the axes that `wraps` and mirror at walls.
at::Tensor sr_baselines(const at::Tensor& coarse, const at::Tensor& conditioning, std::int64_t factor,
                        io::Periodicity wraps = {});

}  // namespace flex::infer
