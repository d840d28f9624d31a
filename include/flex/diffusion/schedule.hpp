// The variance-preserving noise schedule of SPEC §4 (the reference's cosine
// log-SNR with shift): z_t = alpha_t r + sigma_t eps, alpha^2 + sigma^2 = 1,
//   lambda(t) = -2 log(tan(a t + b) s),  b = atan(exp(-lambda_max/2)),
//   a = atan(exp(-lambda_min/2)) - b,
//   alpha = sqrt(sigmoid(lambda)), sigma = sqrt(sigmoid(-lambda)).
#pragma once

#include <ATen/core/Tensor.h>

namespace flex::diffusion {

struct Schedule {
  double logsnr_min = -20.0;
  double logsnr_max = 20.0;
  double shift = 1.0;  // s: multiplies tan(.), i.e. shifts lambda by -2 log s

  // lambda(t) for t [B] in [0, 1]; computed in double, returned in t's dtype.
  at::Tensor logsnr(const at::Tensor& t) const;
};

struct NoiseLevels {
  at::Tensor logsnr, alpha, sigma;  // [B, 1, 1, 1], ready to broadcast over fields
};

NoiseLevels noise_levels(const Schedule& schedule, const at::Tensor& t);

}  // namespace flex::diffusion
