// Forecast skill along an autoregressive rollout (SPEC §6): PCC and RFNE per
// rollout step; the paper calls PCC > 0.95 highly accurate.
#pragma once

#include <vector>

namespace flex::analysis {

// Number of leading rollout steps whose PCC stays above `threshold`
// (0 if the first step already falls to it or below).
long skill_horizon(const std::vector<double>& pcc_per_step, double threshold = 0.95);

}  // namespace flex::analysis
