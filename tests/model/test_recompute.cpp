// Activation checkpointing (train.activation_checkpointing): the same
// gradients as an ordinary backward, dropout and bf16 autocast included, and
// less tensor memory at the peak of a training step.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "../baselines/helpers.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/compute.hpp"
#include "flex/model/recompute.hpp"
#include "flex/model/tensor_memory.hpp"

using namespace flex::model;
using flex::Task;
using flex::model::testing::perturb_parameters;

namespace {

BackboneConfig config(BackboneKind kind, std::int64_t img, double dropout) {
  BackboneConfig c;
  c.kind = kind;
  c.flex = flex_config_for_size("tiny");
  c.flex.tasks = TaskSet::SuperResolution;
  c.flex.img = img;
  c.flex.dropout = dropout;
  c.unet = unet_config_for_size("tiny");
  c.uvit = uvit_config_for_size("tiny");
  c.uvit.img = img;
  return c;
}

// One training-mode forward and backward; the gradients by parameter name.
std::map<std::string, at::Tensor> gradients(Backbone& net, std::int64_t batch, std::int64_t img, Precision p) {
  torch::manual_seed(5);
  const auto z = torch::randn({batch, 1, img, img}), low = torch::randn({batch, 1, img, img});
  const auto t = torch::rand({batch}), cond = torch::rand({batch, 1});
  net.module->train();
  for (auto& q : net.module->parameters()) q.mutable_grad() = at::Tensor();
  torch::manual_seed(9);  // the dropout masks
  const auto out = in_precision(p, c10::DeviceType::CPU, [&] { return net(z, t, cond, Task::SuperResolution, low); });
  (out - z).abs().mean().backward();
  std::map<std::string, at::Tensor> g;
  for (const auto& q : net.module->named_parameters()) g[q.key()] = q.value().grad().clone();
  return g;
}

double worst_relative_difference(const std::map<std::string, at::Tensor>& a,
                                 const std::map<std::string, at::Tensor>& b) {
  // A convolution bias just before a GroupNorm has an exact gradient of zero
  // (the norm removes the mean), so its value is round-off (~1e-10) that the
  // replay's other summation order changes: such gradients are measured
  // against a thousandth of the network's largest rather than against themselves.
  double largest = 0;
  for (const auto& [name, ga] : a) largest = std::max(largest, ga.abs().max().item<double>());
  double worst = 0;
  for (const auto& [name, ga] : a) {
    const auto& gb = b.at(name);
    EXPECT_TRUE(ga.defined() && gb.defined()) << name;
    const double scale = std::max(ga.abs().max().item<double>(), 1e-3 * largest);
    const double d = (ga - gb).abs().max().item<double>() / scale;
    worst = std::max(worst, d);
  }
  return worst;
}

void expect_same_gradients(BackboneKind kind, Precision p, double tolerance, double dropout = 0.2) {
  const std::int64_t img = 32, batch = 2;
  Backbone net = make_backbone(config(kind, img, dropout), 3);
  perturb_parameters(*net.module, 0.02, 17);  // off the zero-initialised start
  const auto plain = gradients(net, batch, img, p);
  EXPECT_GT(set_activation_checkpointing(*net.module, true), 0);
  const auto recomputed = gradients(net, batch, img, p);
  const double diff = worst_relative_difference(plain, recomputed);
  EXPECT_LE(diff, tolerance) << backbone_name(kind) << " " << precision_name(p);
  std::printf("%s %s: worst relative gradient difference %.3g over %zu parameters\n", backbone_name(kind),
              precision_name(p), diff, plain.size());
}

}  // namespace

TEST(Recompute, SameGradientsAsAPlainBackward) {
  const auto w = torch::randn({4, 4}).requires_grad_(true);
  const auto x = torch::randn({3, 4}).requires_grad_(true);
  auto body = [&](const std::vector<at::Tensor>& in) { return torch::tanh(torch::matmul(in[0], w)).sin(); };
  body({x}).sum().backward();
  const auto gw = w.grad().clone(), gx = x.grad().clone();
  w.mutable_grad() = at::Tensor();
  x.mutable_grad() = at::Tensor();
  const auto out = recomputed_in_backward(body, {x});
  EXPECT_TRUE(out.requires_grad());
  out.sum().backward();
  EXPECT_TRUE(torch::allclose(w.grad(), gw, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(x.grad(), gx, 1e-6, 1e-7));
}

TEST(Recompute, NothingToDifferentiateRunsTheBodyAsIs) {
  const auto x = torch::randn({3});
  const auto out = recomputed_in_backward([](const std::vector<at::Tensor>& in) { return in[0] * 2; }, {x});
  EXPECT_FALSE(out.requires_grad());
  EXPECT_TRUE(torch::equal(out, x * 2));
}

TEST(Recompute, OnlyWhileTrainingWithGradients) {
  EXPECT_TRUE(recompute_active(true, true));
  EXPECT_FALSE(recompute_active(false, true));
  EXPECT_FALSE(recompute_active(true, false));
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(recompute_active(true, true));
}

TEST(Recompute, FlexGradientsMatchWithoutDropout) {
  expect_same_gradients(BackboneKind::Flex, Precision::FP32, 1e-5, 0.0);
}

// Dropout (p = 0.2) draws its masks again in the replay: only the saved
// random state makes them the forward's.
TEST(Recompute, FlexGradientsMatchWithDropout) { expect_same_gradients(BackboneKind::Flex, Precision::FP32, 1e-5); }
TEST(Recompute, UViTGradientsMatchWithDropout) { expect_same_gradients(BackboneKind::UViT, Precision::FP32, 1e-5); }
TEST(Recompute, UNetGradientsMatchWithDropout) { expect_same_gradients(BackboneKind::UNet, Precision::FP32, 1e-5); }

// The autocast scope has closed when backward runs: the replay must compute
// in bf16 again, or its gradients would be those of an fp32 forward.
TEST(Recompute, TheReplayComputesUnderTheForwardsAutocast) {
  const auto w = torch::randn({8, 8}).requires_grad_(true);
  const auto x = torch::randn({4, 8}).requires_grad_(true);
  std::vector<c10::ScalarType> seen;
  auto body = [&](const std::vector<at::Tensor>& in) {
    auto y = torch::matmul(in[0], w);
    seen.push_back(y.scalar_type());
    return y.to(torch::kFloat).sum(1);
  };
  const auto out = in_precision(Precision::BF16, c10::DeviceType::CPU, [&] { return recomputed_in_backward(body, {x}); });
  out.sum().backward();
  ASSERT_EQ(seen.size(), 2u);  // the forward and its replay
  EXPECT_EQ(seen[0], torch::kBFloat16);
  EXPECT_EQ(seen[1], torch::kBFloat16);
}

// Under bf16 the replay's other summation order in backward moves gradients
// by a few bf16 units in the last place (2^-8 = 0.0039), not fp32's.
TEST(Recompute, FlexGradientsMatchUnderBf16Autocast) {
  expect_same_gradients(BackboneKind::Flex, Precision::BF16, 0.03);
}

TEST(Recompute, LowersThePeakTensorMemoryOfATrainingStep) {
  const std::int64_t img = 64, batch = 4;
  Backbone net = make_backbone(config(BackboneKind::Flex, img, 0.1), 3);
  perturb_parameters(*net.module, 0.02, 17);  // off the zero-initialised start
  auto peak = [&] {
    TensorMemoryMeter meter;
    const auto before = meter.current_bytes();
    gradients(net, batch, img, Precision::FP32);
    return meter.peak_bytes() - before;
  };
  const auto plain = peak();
  set_activation_checkpointing(*net.module, true);
  const auto recomputed = peak();
  std::printf("peak tensor memory of a FLEX-tiny step at %lld^2, batch %lld: %.1f MB plain, %.1f MB recomputed\n",
              static_cast<long long>(img), static_cast<long long>(batch), plain / 1e6, recomputed / 1e6);
  EXPECT_GT(plain, 0);
  EXPECT_LT(recomputed, 0.75 * plain);
}
