// The global gradient norm and clipping by it (SPEC §4, clip 1.0). After the
// all-reduce every rank holds the same gradients, so the local norm is the
// global one and every rank clips alike.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace flex::train {

// sqrt(sum ||g||^2) over defined gradients.
double global_grad_norm(const std::vector<at::Tensor>& params);
// Scales gradients so their global norm is at most `max_norm` (torch's clip_grad_norm_ rule).
void clip_grad_norm(const std::vector<at::Tensor>& params, double norm, double max_norm);

}  // namespace flex::train
