#include "flex/model/norms.hpp"

#include <torch/torch.h>

#include "flex/core/torch_compat.hpp"

namespace flex::model {

at::Tensor in_fp32(const at::Tensor& x) { return x.to(at::kFloat); }  // free for fp32 x

at::Tensor group_norm(const at::Tensor& x, std::int64_t groups, const at::Tensor& weight, const at::Tensor& bias,
                      double eps) {
#if FLEX_TORCH_CPU_GROUP_NORM_NHWC_BACKWARD_BROKEN
  const auto cl = at::MemoryFormat::ChannelsLast;
  if (x.device().is_cpu() && x.dim() == 4 && x.is_contiguous(cl) && !x.is_contiguous() &&
      torch::GradMode::is_enabled())
    return torch::group_norm(x.contiguous(), groups, weight, bias, eps).contiguous(cl);
#endif
  return torch::group_norm(x, groups, weight, bias, eps);
}

torch::Tensor group_norm(const torch::Tensor& x, const torch::nn::GroupNorm& norm) {
  const auto& o = norm->options;
  return group_norm(in_fp32(x), o.num_groups(), norm->weight, norm->bias, o.eps());
}

torch::Tensor layer_norm(const torch::Tensor& x, const torch::nn::LayerNorm& norm) {
  const auto& o = norm->options;
  return torch::layer_norm(in_fp32(x), o.normalized_shape(), norm->weight, norm->bias, o.eps());
}

}  // namespace flex::model
