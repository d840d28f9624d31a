#include "flex/train/gradients.hpp"

#include <torch/torch.h>

#include <cmath>

namespace flex::train {

double global_grad_norm(const std::vector<at::Tensor>& params) {
  double sq = 0.0;
  for (const auto& p : params)
    if (p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
  return std::sqrt(sq);
}

void clip_grad_norm(const std::vector<at::Tensor>& params, double norm, double max_norm) {
  if (max_norm <= 0.0 || norm <= max_norm) return;
  torch::NoGradGuard no_grad;
  const double scale = max_norm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_
  for (const auto& p : params)
    if (p.grad().defined()) p.grad().mul_(scale);
}

}  // namespace flex::train
