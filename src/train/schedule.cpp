#include "flex/train/schedule.hpp"

#include <cmath>

namespace flex::train {

double LrSchedule::at(std::int64_t step) const {
  if (step < warmup_steps) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const std::int64_t decay_steps = total_steps - warmup_steps;
  if (decay_steps <= 0 || step >= total_steps) return floor;
  const double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps);
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace flex::train
