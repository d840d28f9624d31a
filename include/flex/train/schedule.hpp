// Learning-rate schedule: linear warm-up to the peak, then cosine decay to
// the floor (SPEC §4, "cosine learning-rate schedule with warm-up"):
//   lr(s) = peak (s + 1) / W                                  for s < W
//   lr(s) = floor + (peak - floor) (1 + cos(pi (s - W) / (S - W))) / 2   for W <= s < S
// with S the total steps; constant `floor` at and after S.
#pragma once

#include <cstdint>

namespace flex::train {

struct LrSchedule {
  double peak = 1e-4;
  double floor = 0.0;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;

  double at(std::int64_t step) const;
};

}  // namespace flex::train
