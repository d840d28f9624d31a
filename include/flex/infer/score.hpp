// How close a predicted plane is to the truth, scored by the analysis kernels
// `flex analyze` uses (SPEC §6), so inference progress lines, the validation
// suite and the analysis report agree to round-off.
#pragma once

#include <ATen/core/Tensor.h>

namespace flex::infer {

struct PlaneScore {
  double rfne = 0;  // ||prediction - truth|| / ||truth||
  double pcc = 0;   // Pearson correlation
};

// prediction, truth: [H, W] or [C, H, W], the whole field (every rank holds
// it whole); several channels are scored together, as one plane of C*H rows.
PlaneScore score(const at::Tensor& prediction, const at::Tensor& truth);

}  // namespace flex::infer
