// run.device = cuda (bench/gpu/check.sh runs these where a GPU is; skipped
// elsewhere): the network computes on the GPU what it computes on the CPU,
// in fp32 (TF32 off for the comparison) and in bf16/fp16 autocast within
// their round-off, in both memory layouts; activation checkpointing replays
// the CUDA dropout masks and autocast of LibTorch's CUDA backward thread.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "../baselines/helpers.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/compute.hpp"
#include "flex/model/recompute.hpp"

using namespace flex::model;
using flex::Task;
using flex::model::testing::perturb_parameters;

namespace {

const c10::Device kGpu(c10::kCUDA, 0);

Backbone tiny_flex(double dropout) {
  BackboneConfig c;
  c.flex = flex_config_for_size("tiny");
  c.flex.tasks = TaskSet::SuperResolution;
  c.flex.img = 32;
  c.flex.dropout = dropout;
  Backbone net = make_backbone(c, 3);
  perturb_parameters(*net.module, 0.02, 17);  // off the zero-initialised output convolutions
  return net;
}

struct Result {
  at::Tensor out;                               // on the CPU
  std::map<std::string, at::Tensor> gradients;  // on the CPU
};

// One training-mode forward and backward of `net` on `device`, inputs drawn on the CPU.
Result step(Backbone& net, c10::Device device, Precision p, std::uint64_t dropout_seed = 9) {
  torch::manual_seed(5);
  const auto z = torch::randn({2, 1, 32, 32}).to(device), low = torch::randn({2, 1, 32, 32}).to(device);
  const auto t = torch::rand({2}).to(device), cond = torch::rand({2, 1}).to(device);
  net.module->to(device);
  net.module->train();
  for (auto& q : net.module->parameters()) q.mutable_grad() = at::Tensor();
  torch::manual_seed(dropout_seed);
  const auto out = in_precision(p, device.type(), [&] { return net(z, t, cond, Task::SuperResolution, low); });
  (out - z).abs().mean().backward();
  Result r{out.detach().cpu(), {}};
  for (const auto& q : net.module->named_parameters()) r.gradients[q.key()] = q.value().grad().cpu();
  return r;
}

double rms_relative(const at::Tensor& a, const at::Tensor& b) { return ((a - b).norm() / b.norm()).item<double>(); }

// The whole gradient vector's relative RMS difference.
double gradient_difference(const Result& a, const Result& b) {
  double diff = 0, norm = 0;
  for (const auto& [name, g] : a.gradients) {
    diff += (g - b.gradients.at(name)).pow(2).sum().item<double>();
    norm += b.gradients.at(name).pow(2).sum().item<double>();
  }
  return std::sqrt(diff / norm);
}

class Device : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  }
};

}  // namespace

TEST_F(Device, Fp32MatchesTheCpu) {
  const bool tf32 = at::globalContext().allowTF32CuDNN();
  at::globalContext().setAllowTF32CuDNN(false);  // TF32 keeps 10 mantissa bits: not what fp32 is compared at
  auto net = tiny_flex(0);
  const auto cpu = step(net, c10::Device(c10::kCPU), Precision::FP32);
  const auto gpu = step(net, kGpu, Precision::FP32);
  for (const auto layout : {MemoryLayout::NCHW, MemoryLayout::NHWC}) {
    apply_memory_layout(*net.module, layout);
    const auto g = layout == MemoryLayout::NCHW ? gpu : step(net, kGpu, Precision::FP32);
    EXPECT_LE(rms_relative(g.out, cpu.out), 1e-5) << memory_layout_name(layout);
    EXPECT_LE(gradient_difference(g, cpu), 1e-4) << memory_layout_name(layout);
    std::printf("cuda %s fp32 vs cpu: output %.2e, gradients %.2e (relative RMS)\n", memory_layout_name(layout),
                rms_relative(g.out, cpu.out), gradient_difference(g, cpu));
  }
  at::globalContext().setAllowTF32CuDNN(tf32);
}

// bf16 keeps 8 mantissa bits (u = 2^-9), fp16 11: the network's RMS error
// stays within a few u of fp32, as on the CPU (test_compute).
TEST_F(Device, ReducedPrecisionWithinItsRoundOff) {
  auto net = tiny_flex(0);
  const auto fp32 = step(net, kGpu, Precision::FP32);
  for (const auto [p, u] : {std::pair{Precision::BF16, 1.0 / 512}, std::pair{Precision::FP16, 1.0 / 4096}}) {
    const auto r = step(net, kGpu, p);
    EXPECT_TRUE(torch::isfinite(r.out).all().item<bool>()) << precision_name(p);
    EXPECT_GT(rms_relative(r.out, fp32.out), 0) << precision_name(p) << ": autocast did not change the arithmetic";
    EXPECT_LE(rms_relative(r.out, fp32.out), 5 * u) << precision_name(p);
    EXPECT_LE(gradient_difference(r, fp32), 20 * u) << precision_name(p);
    std::printf("cuda %s vs fp32: output %.2e, gradients %.2e (relative RMS; u = %.1e)\n", precision_name(p),
                rms_relative(r.out, fp32.out), gradient_difference(r, fp32), u);
  }
}

TEST_F(Device, CheckpointingReplaysDropoutAndAutocast) {
  for (const auto p : {Precision::FP32, Precision::BF16}) {
    auto net = tiny_flex(0.2);
    const auto plain = step(net, kGpu, p);
    EXPECT_GT(set_activation_checkpointing(*net.module, true), 0);
    const auto recomputed = step(net, kGpu, p);
    const double d = gradient_difference(recomputed, plain);
    EXPECT_LE(d, p == Precision::FP32 ? 1e-5 : 1e-2) << precision_name(p);
    std::printf("cuda %s checkpointed vs plain gradients: %.2e (relative RMS)\n", precision_name(p), d);
    // Different dropout masks would move the gradients by far more than round-off.
    const auto other_masks = step(net, kGpu, p, 10);
    EXPECT_GT(gradient_difference(other_masks, plain), 10 * d) << precision_name(p);
  }
}
