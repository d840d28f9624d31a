#include "flex/train/loss_scale.hpp"

namespace flex::train {

bool LossScale::update(bool finite) {
  if (!enabled) return false;
  if (finite) {
    if (++good_steps >= kGrowthInterval) scale *= 2, good_steps = 0;
    return false;
  }
  good_steps = 0;
  if (scale <= kMinimum) return false;  // nothing left to lower: a genuinely bad step
  scale /= 2;
  return true;
}

}  // namespace flex::train
