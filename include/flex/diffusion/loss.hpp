// Training objective (SPEC §4): t ~ U(0, 1), eps ~ N(0, I),
// z_t = alpha r + sigma eps, and an L1 (default) or L2 loss, mean over pixels,
// between the network output and the target of the parameterisation:
//   v:   target v = alpha eps - sigma r (the reference's default)
//   eps: the network still predicts v; eps_hat = alpha v_hat + sigma z_t is
//        compared with eps (the reference's 'eps' mode)
//   x:   the network predicts r itself, compared with r.
// Noise comes from a generator or from one seed per sample, so a sample's
// draw never depends on which batch or rank it landed in.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/diffusion/schedule.hpp"

namespace flex::diffusion {

enum class Parameterisation { V, Eps, X };
enum class LossNorm { L1, L2 };

Parameterisation parse_parameterisation(const std::string& word);  // v | eps | x
const char* parameterisation_name(Parameterisation p);             // and back
LossNorm parse_loss_norm(const std::string& word);                  // l1 | l2

struct NoiseDraw {
  at::Tensor t;    // [B], U(0, 1)
  at::Tensor eps;  // like the residual, N(0, 1)
};

// Per-sample streams: sample i's t and eps come from a CPU generator seeded
// with sample_seeds[i] (e.g. derive_seed(run.seed, Stream::kDiffusionNoise,
// {epoch, sample index})); returned on `like`'s device and dtype.
NoiseDraw draw_noise(const at::Tensor& like, const std::vector<std::uint64_t>& sample_seeds);
// One generator for the batch (t first, then eps).
NoiseDraw draw_noise(const at::Tensor& like, at::Generator generator);

struct NoisedBatch {
  at::Tensor z_t;     // alpha r + sigma eps
  at::Tensor target;  // what the loss compares with (per parameterisation)
  NoiseLevels levels;
};

NoisedBatch add_noise(const at::Tensor& residual, const NoiseDraw& draw, const Schedule& schedule,
                      Parameterisation param);

struct LossOptions {
  Parameterisation param = Parameterisation::V;
  LossNorm norm = LossNorm::L1;
};

// Per-sample loss [B]: mean over channels and pixels of |pred - target| (or squared).
at::Tensor diffusion_loss_per_sample(const at::Tensor& net_out, const NoisedBatch& batch, const LossOptions& options);
// Mean over the batch of the above (a scalar).
at::Tensor diffusion_loss(const at::Tensor& net_out, const NoisedBatch& batch, const LossOptions& options);

// The residual estimate r_hat from a network output at (z_t, alpha, sigma):
// v: alpha z - sigma v_hat; eps (network outputs v): the same; x: the output.
at::Tensor predicted_residual(const at::Tensor& net_out, const at::Tensor& z_t, const NoiseLevels& levels,
                              Parameterisation param);
// The noise estimate eps_hat: v/eps: alpha v_hat + sigma z; x: (z - alpha x_hat) / sigma.
at::Tensor predicted_noise(const at::Tensor& net_out, const at::Tensor& z_t, const NoiseLevels& levels,
                           Parameterisation param);

}  // namespace flex::diffusion
