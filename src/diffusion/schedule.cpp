#include "flex/diffusion/schedule.hpp"

#include <torch/torch.h>

#include <cmath>

#include "flex/core/error.hpp"

namespace flex::diffusion {

at::Tensor Schedule::logsnr(const at::Tensor& t) const {
  FLEX_CHECK(shift > 0 && logsnr_min < logsnr_max, "bad schedule: shift " << shift << ", logsnr range ["
                                                                            << logsnr_min << ", " << logsnr_max << "]");
  // Cosine log-SNR (SPEC §4): lambda = -2 log(tan(a t + b) s).
  const double b = std::atan(std::exp(-0.5 * logsnr_max));
  const double a = std::atan(std::exp(-0.5 * logsnr_min)) - b;
  const auto td = t.to(torch::kFloat64);
  return (-2.0 * torch::log(torch::tan(a * td + b) * shift)).to(t.scalar_type());
}

NoiseLevels noise_levels(const Schedule& schedule, const at::Tensor& t) {
  FLEX_CHECK(t.dim() == 1, "diffusion times must be [B], got " << t.sizes());
  const auto l = schedule.logsnr(t).to(torch::kFloat64);
  // alpha = sqrt(sigmoid(lambda)), sigma = sqrt(sigmoid(-lambda)): alpha^2 + sigma^2 = 1.
  const auto dtype = t.is_floating_point() ? t.scalar_type() : torch::kFloat32;
  auto shape = [&](const at::Tensor& x) { return x.to(dtype).view({-1, 1, 1, 1}); };
  return {shape(l), shape(torch::sigmoid(l).sqrt()), shape(torch::sigmoid(-l).sqrt())};
}

}  // namespace flex::diffusion
