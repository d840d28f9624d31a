#include "flex/model/norms.hpp"

#include <torch/torch.h>

namespace flex::model {

at::Tensor in_fp32(const at::Tensor& x) { return x.to(at::kFloat); }  // free for fp32 x

torch::Tensor group_norm(const torch::Tensor& x, const torch::nn::GroupNorm& norm) {
  const auto& o = norm->options;
  return torch::group_norm(in_fp32(x), o.num_groups(), norm->weight, norm->bias, o.eps());
}

torch::Tensor layer_norm(const torch::Tensor& x, const torch::nn::LayerNorm& norm) {
  const auto& o = norm->options;
  return torch::layer_norm(in_fp32(x), o.normalized_shape(), norm->weight, norm->bias, o.eps());
}

}  // namespace flex::model
