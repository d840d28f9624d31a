#include "flex/diffusion/loss.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "flex/core/error.hpp"

namespace flex::diffusion {

Parameterisation parse_parameterisation(const std::string& word) {
  if (word == "v") return Parameterisation::V;
  if (word == "eps") return Parameterisation::Eps;
  if (word == "x") return Parameterisation::X;
  FLEX_REQUIRE(false, "diffusion parameterisation '" << word << "': expected one of v, eps, x");
  return Parameterisation::V;
}

const char* parameterisation_name(Parameterisation p) {
  switch (p) {
    case Parameterisation::V: return "v";
    case Parameterisation::Eps: return "eps";
    case Parameterisation::X: return "x";
  }
  return "?";
}

LossNorm parse_loss_norm(const std::string& word) {
  if (word == "l1") return LossNorm::L1;
  if (word == "l2") return LossNorm::L2;
  FLEX_REQUIRE(false, "diffusion loss '" << word << "': expected l1 or l2");
  return LossNorm::L1;
}

NoiseDraw draw_noise(const at::Tensor& like, const std::vector<std::uint64_t>& sample_seeds) {
  FLEX_CHECK(static_cast<std::int64_t>(sample_seeds.size()) == like.size(0),
             sample_seeds.size() << " seeds for a batch of " << like.size(0));
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
  auto one = like.sizes().vec();
  one[0] = 1;
  std::vector<at::Tensor> ts, eps;
  for (auto seed : sample_seeds) {
    auto gen = at::detail::createCPUGenerator(seed);
    ts.push_back(torch::rand({1}, gen, cpu));
    eps.push_back(torch::randn(one, gen, cpu));
  }
  const auto to = like.options();
  return {torch::cat(ts).to(to), torch::cat(eps).to(to)};
}

NoiseDraw draw_noise(const at::Tensor& like, at::Generator generator) {
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
  auto t = torch::rand({like.size(0)}, generator, cpu);
  auto eps = torch::randn(like.sizes(), generator, cpu);
  return {t.to(like.options()), eps.to(like.options())};
}

NoisedBatch add_noise(const at::Tensor& r, const NoiseDraw& d, const Schedule& schedule, Parameterisation param) {
  FLEX_CHECK(d.eps.sizes() == r.sizes(), "noise " << d.eps.sizes() << " does not match residual " << r.sizes());
  NoisedBatch b;
  b.levels = noise_levels(schedule, d.t);
  const auto& a = b.levels.alpha;
  const auto& s = b.levels.sigma;
  b.z_t = a * r + s * d.eps;  // SPEC §4: z_t = alpha r + sigma eps
  switch (param) {
    case Parameterisation::V: b.target = a * d.eps - s * r; break;  // v = alpha eps - sigma r
    case Parameterisation::Eps: b.target = d.eps; break;
    case Parameterisation::X: b.target = r; break;
  }
  return b;
}

at::Tensor predicted_residual(const at::Tensor& out, const at::Tensor& z, const NoiseLevels& l,
                              Parameterisation param) {
  if (param == Parameterisation::X) return out;
  return l.alpha * z - l.sigma * out;  // r_hat = alpha z - sigma v_hat
}

at::Tensor predicted_noise(const at::Tensor& out, const at::Tensor& z, const NoiseLevels& l, Parameterisation param) {
  if (param == Parameterisation::X) return (z - l.alpha * out) / l.sigma;  // eps = (z - alpha r) / sigma
  return l.sigma * z + l.alpha * out;                                       // eps_hat = sigma z + alpha v_hat
}

at::Tensor diffusion_loss_per_sample(const at::Tensor& out, const NoisedBatch& b, const LossOptions& o) {
  FLEX_CHECK(out.sizes() == b.target.sizes(), "network output " << out.sizes() << " vs target " << b.target.sizes());
  const auto pred = o.param == Parameterisation::Eps ? predicted_noise(out, b.z_t, b.levels, o.param) : out;
  const auto diff = pred - b.target;
  const auto err = o.norm == LossNorm::L1 ? diff.abs() : diff.square();
  return err.flatten(1).mean(1);
}

at::Tensor diffusion_loss(const at::Tensor& out, const NoisedBatch& b, const LossOptions& o) {
  return diffusion_loss_per_sample(out, b, o).mean();
}

}  // namespace flex::diffusion
