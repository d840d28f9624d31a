#include "flex/diffusion/sampler.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"

namespace flex::diffusion {

at::Tensor ddim_step(const at::Tensor& out, const at::Tensor& z, std::int64_t n, const SamplerOptions& o) {
  FLEX_CHECK(n >= 1 && n <= o.steps, "sampler step " << n << " of " << o.steps);
  const auto b = z.size(0);
  const auto t_opts = z.options();
  const auto now = noise_levels(o.schedule, torch::full({b}, static_cast<double>(n) / o.steps, t_opts));
  const auto r_hat = predicted_residual(out, z, now, o.param);
  if (n == 1) return r_hat;
  const auto next = noise_levels(o.schedule, torch::full({b}, static_cast<double>(n - 1) / o.steps, t_opts));
  // DDIM (eta = 0): z_{t'} = alpha' r_hat + sigma' eps_hat.
  return next.alpha * r_hat + next.sigma * predicted_noise(out, z, now, o.param);
}

at::Tensor ddim_residual(const Denoiser& denoiser, const at::Tensor& noise, const SamplerOptions& o) {
  FLEX_REQUIRE(o.steps >= 1, "sampler steps must be >= 1, got " << o.steps);
  torch::NoGradGuard no_grad;
  const auto b = noise.size(0);
  at::Tensor z = noise;
  for (std::int64_t n = o.steps; n >= 1; --n)
    z = ddim_step(denoiser(z, torch::full({b}, static_cast<double>(n) / o.steps, noise.options())), z, n, o);
  return z;
}

at::Tensor sample(const Denoiser& denoiser, const at::Tensor& noise, const at::Tensor& base,
                  const SamplerOptions& o) {
  FLEX_CHECK(base.sizes() == noise.sizes(), "conditioning field " << base.sizes() << " vs noise " << noise.sizes());
  return ddim_residual(denoiser, noise, o) + base;
}

at::Tensor ensemble_noise(at::IntArrayRef sample_shape, std::uint64_t seed, std::int64_t member,
                          const std::vector<std::int64_t>& sample_ids, const at::TensorOptions& options) {
  std::vector<std::int64_t> one{1};
  one.insert(one.end(), sample_shape.begin(), sample_shape.end());
  std::vector<at::Tensor> rows;
  rows.reserve(sample_ids.size());
  for (auto id : sample_ids) {
    auto gen = at::detail::createCPUGenerator(
        derive_seed(seed, Stream::kSamplerNoise, {static_cast<std::uint64_t>(member), static_cast<std::uint64_t>(id)}));
    rows.push_back(torch::randn(one, gen, torch::TensorOptions().dtype(torch::kFloat32)));
  }
  return torch::cat(rows).to(options);
}

at::Tensor sample_ensemble(const Denoiser& denoiser, const at::Tensor& base, std::int64_t members,
                           std::uint64_t seed, const std::vector<std::int64_t>& sample_ids, const SamplerOptions& o,
                           std::int64_t members_per_call) {
  FLEX_REQUIRE(members >= 1, "ensemble size must be >= 1, got " << members);
  FLEX_CHECK(static_cast<std::int64_t>(sample_ids.size()) == base.size(0),
             sample_ids.size() << " sample ids for a batch of " << base.size(0));
  const auto per_call = std::max<std::int64_t>(1, std::min(members_per_call, members));
  const auto shape = base.sizes().slice(1);
  std::vector<at::Tensor> out;
  for (std::int64_t m0 = 0; m0 < members; m0 += per_call) {
    const auto m1 = std::min(members, m0 + per_call);
    std::vector<at::Tensor> noise;
    for (auto m = m0; m < m1; ++m) noise.push_back(ensemble_noise(shape, seed, m, sample_ids, base.options()));
    const auto stacked = torch::cat(noise);
    const auto bases = base.repeat({m1 - m0, 1, 1, 1});
    out.push_back(sample(denoiser, stacked, bases, o).view({m1 - m0, base.size(0), shape[0], shape[1], shape[2]}));
  }
  return torch::cat(out);
}

EnsembleStats ensemble_stats(const at::Tensor& members) {
  const auto mean = members.mean(0);
  if (members.size(0) < 2) return {mean, torch::zeros_like(mean)};
  return {mean, members.std(0, /*unbiased=*/true)};
}

}  // namespace flex::diffusion
