// The baselines every inference run scores and writes beside its prediction
// (SPEC §3): for SR the aligned periodic bicubic (the honest one), the
// conditioning field the network sees (samples read as cell centres: 3.5 px
// off at x8) and SuperBench's align_corners=True bicubic; for FC persistence
// (x_{t0} as the forecast of every lead). <stem>.baselines.h5 holds them as
// channels in this order (attribute `channels`), `flex analyze` reads it.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/core/task.hpp"

namespace flex::infer {

// Channel names of the baselines file: bicubic_aligned, conditioning,
// bicubic_align_corners (sr); persistence (fc).
const std::vector<std::string>& baseline_names(Task task);

// coarse [h, w] and the conditioning field [H, W] made from it -> [3, H, W]
// in baseline_names(sr) order.
at::Tensor sr_baselines(const at::Tensor& coarse, const at::Tensor& conditioning, std::int64_t factor);

}  // namespace flex::infer
