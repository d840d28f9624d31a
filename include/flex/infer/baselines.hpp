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

#include <string>
#include <vector>

#include "flex/core/task.hpp"

namespace flex::infer {

// Channel names of the baselines file: bicubic_aligned, conditioning,
// bicubic_align_corners (sr); persistence (fc).
const std::vector<std::string>& baseline_names(Task task);

}  // namespace flex::infer
