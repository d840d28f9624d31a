// Deterministic DDIM sampling (SPEC §4) on t_n = n/N, n = N..1, from z = noise:
//   r_hat = alpha z - sigma v_hat,  eps_hat = sigma z + alpha v_hat,
//   z <- alpha' r_hat + sigma' eps_hat   (alpha', sigma' at t_{n-1}),
// returning r_hat of the last step (t = 1/N); the full field adds the
// conditioning field back (upsampled input for SR, last frame for FC).
// The network enters as a plain function, so any backbone samples alike; it
// runs without gradients, and must be in eval mode (dropout off).
// Ensemble noise depends only on (seed, member, global sample index).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "flex/diffusion/loss.hpp"
#include "flex/diffusion/schedule.hpp"

namespace flex::diffusion {

// (z [B, C, H, W], t [B]) -> network output (v, or r for the x parameterisation).
using Denoiser = std::function<at::Tensor(const at::Tensor& z, const at::Tensor& t)>;

struct SamplerOptions {
  std::int64_t steps = 2;  // N >= 1
  Parameterisation param = Parameterisation::V;
  Schedule schedule;
};

// Step n of N (t = n/N) from the state z and the network's output at t: z
// at t_{n-1}, or r_hat when n == 1. ddim_residual chains it; fused sampling
// (infer::predict_block_fused) stitches its results between steps.
at::Tensor ddim_step(const at::Tensor& out, const at::Tensor& z, std::int64_t n, const SamplerOptions& options);

// The residual estimate r_hat after N DDIM steps from `noise`.
at::Tensor ddim_residual(const Denoiser& denoiser, const at::Tensor& noise, const SamplerOptions& options);

// ddim_residual + base: the sampled field.
at::Tensor sample(const Denoiser& denoiser, const at::Tensor& noise, const at::Tensor& base,
                  const SamplerOptions& options);

// Standard normal noise [B, C, H, W] for ensemble member `member`; row i comes
// from derive_seed(seed, Stream::kSamplerNoise, {member, sample_ids[i]}).
at::Tensor ensemble_noise(at::IntArrayRef sample_shape, std::uint64_t seed, std::int64_t member,
                          const std::vector<std::int64_t>& sample_ids, const at::TensorOptions& options);

// K members [K, B, C, H, W] sampled around `base` [B, C, H, W]. The denoiser
// is called with members_per_call members stacked along the batch
// ([m*B, ...], member-major): it must accept such multiples of B.
at::Tensor sample_ensemble(const Denoiser& denoiser, const at::Tensor& base, std::int64_t members,
                           std::uint64_t seed, const std::vector<std::int64_t>& sample_ids,
                           const SamplerOptions& options, std::int64_t members_per_call = 1);

struct EnsembleStats {
  at::Tensor mean;  // the prediction
  at::Tensor std;   // per-pixel spread (the uncertainty); zeros for one member
};
// Over dimension 0 of [K, ...]: mean and sample std (K - 1 in the denominator).
EnsembleStats ensemble_stats(const at::Tensor& members);

}  // namespace flex::diffusion
