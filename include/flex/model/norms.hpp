// GroupNorm and LayerNorm in fp32 whatever the activations' precision, as
// CUDA autocast runs them: under run.precision = bf16 LibTorch 1.13's CPU
// kernels reject bf16 input with fp32 affine parameters (the master weights),
// and its bf16 GroupNorm is unvectorised (1.8 s of a 3.0 s FLEX-S sampling).
// The fp32 output feeds the SiLU (vectorised in fp32) and the next
// convolution, which autocast casts back to bf16.
#pragma once

#include <torch/nn/modules/normalization.h>

#include <cstdint>

namespace flex::model {

at::Tensor in_fp32(const at::Tensor& x);
torch::Tensor group_norm(const torch::Tensor& x, const torch::nn::GroupNorm& norm);
// torch::group_norm in x's precision, the one call of it in flex (the
// LibTorch 2.x channels-last workaround of core/torch_compat.hpp lives here).
at::Tensor group_norm(const at::Tensor& x, std::int64_t groups, const at::Tensor& weight, const at::Tensor& bias,
                      double eps);
torch::Tensor layer_norm(const torch::Tensor& x, const torch::nn::LayerNorm& norm);

}  // namespace flex::model
