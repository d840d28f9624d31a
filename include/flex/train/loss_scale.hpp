// Dynamic loss scaling for run.precision = fp16 (Micikevicius et al. 2018,
// "Mixed Precision Training", §3.2; the policy of torch.cuda.amp.GradScaler):
// the loss is multiplied by `scale` before backward so that small fp16
// gradients do not flush to zero, and the gradients are divided by it before
// clipping and the update. A non-finite gradient skips the update and halves
// the scale; kGrowthInterval finite updates in a row double it.
#pragma once

#include <cstdint>

namespace flex::train {

struct LossScale {
  static constexpr double kInitial = 65536.0;
  static constexpr double kMinimum = 1.0;
  static constexpr std::int64_t kGrowthInterval = 2000;

  bool enabled = false;
  double scale = kInitial;
  std::int64_t good_steps = 0;  // finite updates since the last change

  double factor() const { return enabled ? scale : 1.0; }
  // After an update's gradients were checked. Returns true when a non-finite
  // gradient was the scale's overflow (the scale was lowered: not a bad step).
  bool update(bool finite);
};

}  // namespace flex::train
