// Dropout for the network's activations. On CPU the keep/drop mask comes from
// a counter-based hash of (seed, element index) filled in parallel: ATen's
// CPU bernoulli_ draws one element at a time from a single generator, which
// cost 0.85 s of a 12 s FLEX-S training step. The mask depends only on the
// seed (drawn from LibTorch's default generator, so torch::manual_seed fixes
// it) and the element's index, never on the thread count or memory layout.
// Other devices use LibTorch's own dropout.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace flex::model {

// x * mask / (1 - p) with mask ~ Bernoulli(1 - p) while training; x otherwise.
at::Tensor dropout(const at::Tensor& x, double p, bool training);

// The scaled mask itself ({0, 1/(1-p)} per element): a pure function of
// (seed, index), for tests and for reproducing a training step.
at::Tensor dropout_mask(at::IntArrayRef shape, double p, std::uint64_t seed);

}  // namespace flex::model
