// Schedule endpoints and identities, noising and loss, DDIM with an oracle
// network (recovers the residual exactly for any number of steps), and
// ensemble noise that depends only on (seed, member, sample).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/diffusion/sampler.hpp"
#include "flex/diffusion/schedule.hpp"

using namespace flex::diffusion;

TEST(DiffusionSchedule, EndpointsAndVariancePreservation) {
  const Schedule s;
  const auto t = torch::linspace(0, 1, 101, torch::kFloat64);
  const auto l = s.logsnr(t);
  EXPECT_NEAR(l[0].item<double>(), 20.0, 1e-9);    // lambda(0) = lambda_max
  EXPECT_NEAR(l[100].item<double>(), -20.0, 1e-9); // lambda(1) = lambda_min
  EXPECT_TRUE((l.slice(0, 1) < l.slice(0, 0, -1)).all().item<bool>());  // strictly decreasing
  const auto n = noise_levels(s, t);
  EXPECT_LT((n.alpha.square() + n.sigma.square() - 1).abs().max().item<double>(), 1e-12);
  EXPECT_NEAR(n.alpha[0].item<double>(), std::sqrt(1 / (1 + std::exp(-20.0))), 1e-12);
  EXPECT_NEAR(n.sigma[100].item<double>(), std::sqrt(1 / (1 + std::exp(-20.0))), 1e-12);
  // The shift s moves lambda by -2 log s.
  Schedule shifted;
  shifted.shift = 4.0;
  EXPECT_LT((shifted.logsnr(t) - (l - 2 * std::log(4.0))).abs().max().item<double>(), 1e-9);
  // float32 times give float32 levels shaped to broadcast over fields.
  const auto f = noise_levels(s, torch::tensor({0.25f, 0.5f}));
  EXPECT_EQ(f.alpha.scalar_type(), torch::kFloat32);
  EXPECT_EQ(f.alpha.sizes(), (std::vector<std::int64_t>{2, 1, 1, 1}));
}

TEST(DiffusionLoss, NoisingIdentitiesAndLoss) {
  torch::manual_seed(1);
  const auto r = torch::randn({3, 2, 8, 8});
  const auto draw = draw_noise(r, at::detail::createCPUGenerator(7));
  const auto b = add_noise(r, draw, {}, Parameterisation::V);
  const auto& l = b.levels;
  EXPECT_TRUE(torch::allclose(b.z_t, l.alpha * r + l.sigma * draw.eps));
  EXPECT_TRUE(torch::allclose(b.target, l.alpha * draw.eps - l.sigma * r));
  // The true v gives back r and eps exactly (up to round-off), and zero loss.
  EXPECT_LT((predicted_residual(b.target, b.z_t, l, Parameterisation::V) - r).abs().max().item<float>(), 1e-5);
  EXPECT_LT((predicted_noise(b.target, b.z_t, l, Parameterisation::V) - draw.eps).abs().max().item<float>(), 1e-5);
  EXPECT_EQ(diffusion_loss(b.target, b, {}).item<float>(), 0.0f);
  // eps mode: the network still outputs v; its eps estimate is compared with eps.
  const auto be = add_noise(r, draw, {}, Parameterisation::Eps);
  EXPECT_LT(diffusion_loss(b.target, be, {Parameterisation::Eps, LossNorm::L1}).item<float>(), 1e-5);
  // L1 vs L2 on a known error; per-sample means.
  const auto off = b.target + 0.5;
  EXPECT_NEAR(diffusion_loss(off, b, {Parameterisation::V, LossNorm::L1}).item<float>(), 0.5, 1e-6);
  EXPECT_NEAR(diffusion_loss(off, b, {Parameterisation::V, LossNorm::L2}).item<float>(), 0.25, 1e-6);
  EXPECT_EQ(diffusion_loss_per_sample(off, b, {}).sizes(), (std::vector<std::int64_t>{3}));
  EXPECT_THROW(parse_parameterisation("score"), flex::InputError);
  EXPECT_THROW(parse_loss_norm("huber"), flex::InputError);
}

TEST(DiffusionLoss, PerSampleSeedsIgnoreBatchComposition) {
  const auto like = torch::zeros({3, 1, 4, 4});
  const auto all = draw_noise(like, std::vector<std::uint64_t>{11, 22, 33});
  const auto one = draw_noise(like.narrow(0, 0, 1), std::vector<std::uint64_t>{22});
  EXPECT_TRUE(torch::equal(all.t.narrow(0, 1, 1), one.t));
  EXPECT_TRUE(torch::equal(all.eps.narrow(0, 1, 1), one.eps));
  EXPECT_TRUE((all.t >= 0).all().item<bool>() && (all.t < 1).all().item<bool>());
  EXPECT_FALSE(torch::equal(all.eps[0], all.eps[1]));
}

namespace {

// A perfect network for a known residual r0: v = alpha eps_hat - sigma r0
// with eps_hat = (z - alpha r0) / sigma.
Denoiser oracle_v(const torch::Tensor& r0, const Schedule& s, int* calls) {
  return [r0, s, calls](const torch::Tensor& z, const torch::Tensor& t) {
    ++*calls;
    const auto l = noise_levels(s, t);
    const auto r = r0.repeat({z.size(0) / r0.size(0), 1, 1, 1});
    const auto eps = (z - l.alpha * r) / l.sigma;
    return l.alpha * eps - l.sigma * r;
  };
}

}  // namespace

TEST(DiffusionSampler, DdimRecoversTheResidualWithAnOracle) {
  torch::manual_seed(2);
  const auto r0 = torch::randn({2, 1, 16, 16}, torch::kFloat64);
  const auto noise = torch::randn_like(r0);
  for (std::int64_t steps : {1, 2, 5, 20}) {
    SamplerOptions o;
    o.steps = steps;
    int calls = 0;
    const auto r = ddim_residual(oracle_v(r0, o.schedule, &calls), noise, o);
    EXPECT_EQ(calls, steps);
    EXPECT_LT((r - r0).abs().max().item<double>(), 1e-9) << steps << " steps";
  }
  // x parameterisation: the oracle returns r0 itself.
  SamplerOptions ox;
  ox.steps = 3, ox.param = Parameterisation::X;
  const auto rx = ddim_residual([&](const torch::Tensor&, const torch::Tensor&) { return r0; }, noise, ox);
  EXPECT_LT((rx - r0).abs().max().item<double>(), 1e-12);
  // sample() adds the conditioning field back.
  int calls = 0;
  const auto base = torch::randn_like(r0);
  const auto field = sample(oracle_v(r0, {}, &calls), noise, base, {});
  EXPECT_LT((field - (r0 + base)).abs().max().item<double>(), 1e-9);
  EXPECT_THROW(ddim_residual(oracle_v(r0, {}, &calls), noise, SamplerOptions{0}), flex::InputError);
}

TEST(DiffusionSampler, DdimVisitsTheReferenceTimes) {
  std::vector<float> times;
  SamplerOptions o;  // default: 2 steps, t = 1 then 0.5
  ddim_residual(
      [&](const torch::Tensor& z, const torch::Tensor& t) {
        times.push_back(t[0].item<float>());
        return torch::zeros_like(z);
      },
      torch::ones({1, 1, 2, 2}), o);
  EXPECT_EQ(times, (std::vector<float>{1.0f, 0.5f}));
}

TEST(DiffusionSampler, EnsembleNoiseDependsOnlyOnSeedMemberAndSample) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const std::vector<std::int64_t> shape{1, 4, 4};
  const auto ab = flex::diffusion::ensemble_noise(shape, 9, 2, {3, 5}, opts);
  const auto b = flex::diffusion::ensemble_noise(shape, 9, 2, {5}, opts);
  EXPECT_TRUE(torch::equal(ab.narrow(0, 1, 1), b));
  EXPECT_FALSE(torch::equal(flex::diffusion::ensemble_noise(shape, 9, 3, {5}, opts), b));
  EXPECT_FALSE(torch::equal(flex::diffusion::ensemble_noise(shape, 10, 2, {5}, opts), b));

  // Members sampled one per call or all at once agree; mean/std over members.
  torch::manual_seed(4);
  const auto r0 = torch::randn({2, 1, 4, 4});
  const auto base = torch::randn({2, 1, 4, 4});
  // A network that keeps some noise in its estimate, so members differ.
  Denoiser leaky = [](const torch::Tensor& z, const torch::Tensor&) { return -0.5 * z; };
  SamplerOptions o;
  const auto one = sample_ensemble(leaky, base, 3, 9, {3, 5}, o, 1);
  const auto all = sample_ensemble(leaky, base, 3, 9, {3, 5}, o, 3);
  EXPECT_EQ(one.sizes(), (std::vector<std::int64_t>{3, 2, 1, 4, 4}));
  EXPECT_LT((one - all).abs().max().item<float>(), 1e-6);
  const auto stats = ensemble_stats(one);
  EXPECT_TRUE(torch::allclose(stats.mean, one.mean(0)));
  EXPECT_GT(stats.std.min().item<float>(), 0.0f);
  EXPECT_EQ(ensemble_stats(one.narrow(0, 0, 1)).std.abs().max().item<float>(), 0.0f);
}
