// flex::model compute choices (run.precision, run.memory_format): autocast
// scopes that nest and restore, channels-last weights that leave the
// arithmetic unchanged, a bf16 FLEX forward and training step that run, stay
// finite, keep fp32 master weights and stay within a stated tolerance of
// fp32, and the auto layout probe.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/model/compute.hpp"
#include "flex/model/dropout.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/resblock.hpp"

namespace model = flex::model;
using model::MemoryLayout;
using model::Precision;

namespace {

model::FlexConfig tiny(model::TaskSet tasks = model::TaskSet::SuperResolution) {
  auto c = model::flex_config_for_size("tiny");
  c.tasks = tasks;
  c.img = 32;
  c.dropout = 0;
  return c;
}

struct Inputs {
  at::Tensor z, t, cond, low;
};

Inputs inputs(const model::FlexConfig& c, std::int64_t batch) {
  torch::manual_seed(7);
  return {torch::randn({batch, c.out_channels, c.img, c.img}), torch::rand({batch}),
          torch::rand({batch, c.n_cond_scalars}), torch::randn({batch, c.in_channels, c.img, c.img})};
}

// A FLEX whose zero-initialised output convolutions are randomised, so that
// every block contributes to the output the comparisons look at.
model::Flex random_flex(const model::FlexConfig& c) {
  auto net = model::build_flex(c, 3);
  torch::NoGradGuard no_grad;
  for (auto& p : net->parameters())
    if (p.abs().max().item<double>() == 0) p.normal_(0, 0.02);
  net->eval();
  return net;
}

double relative(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).abs().max() / b.std()).item<double>();
}
double rms_relative(const at::Tensor& a, const at::Tensor& b) { return ((a - b).norm() / b.norm()).item<double>(); }

}  // namespace

TEST(Compute, ParsesTheDeckWords) {
  EXPECT_EQ(model::parse_precision("bf16"), Precision::BF16);
  EXPECT_EQ(model::parse_memory_layout("nhwc"), MemoryLayout::NHWC);
  EXPECT_STREQ(model::precision_name(Precision::FP16), "fp16");
  EXPECT_STREQ(model::memory_layout_name(MemoryLayout::Auto), "auto");
  EXPECT_THROW(model::parse_precision("fp64"), flex::InputError);
  EXPECT_THROW(model::parse_memory_layout("chwn"), flex::InputError);
  EXPECT_FALSE(model::precision_unsupported(Precision::FP16, c10::DeviceType::CPU).empty());
  EXPECT_TRUE(model::precision_unsupported(Precision::BF16, c10::DeviceType::CPU).empty());
}

TEST(Compute, AutocastScopesNestAndRestore) {
  const auto x = torch::randn({1, 4, 8, 8}), w = torch::randn({4, 4, 3, 3});
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), at::kFloat);
  {
    model::AutocastScope outer(Precision::BF16, c10::DeviceType::CPU);
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), at::kBFloat16);
    {
      model::AutocastScope inner(Precision::BF16, c10::DeviceType::CPU);
      EXPECT_EQ(torch::conv2d(x, w).scalar_type(), at::kBFloat16);
    }
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), at::kBFloat16) << "the inner scope switched autocast off";
    model::AutocastScope fp32(Precision::FP32, c10::DeviceType::CPU);  // a no-op
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), at::kBFloat16);
  }
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), at::kFloat) << "autocast left on after its scope";
  const auto v = model::in_precision(Precision::BF16, c10::DeviceType::CPU, [&] { return torch::conv2d(x, w); });
  EXPECT_EQ(v.scalar_type(), at::kFloat);
}

TEST(Compute, ChannelsLastWeightsLeaveTheArithmeticUnchanged) {
  const auto c = tiny();
  auto net = random_flex(c);
  for (const std::int64_t batch : {1, 3}) {  // batch > 1 takes group_norm_film's channels-last branch
    const auto in = inputs(c, batch);
    torch::NoGradGuard no_grad;
    model::apply_memory_layout(*net, MemoryLayout::NCHW);
    const auto nchw = net->forward(in.z, in.t, in.cond, flex::Task::SuperResolution, in.low);
    model::apply_memory_layout(*net, MemoryLayout::NHWC);
    for (const auto& p : net->parameters())
      if (p.dim() == 4) EXPECT_TRUE(p.is_contiguous(at::MemoryFormat::ChannelsLast));
    const auto nhwc = net->forward(in.z, in.t, in.cond, flex::Task::SuperResolution, in.low);
    EXPECT_TRUE(nhwc.is_contiguous(at::MemoryFormat::ChannelsLast) || batch == 1) << "activations left channels-last";
    EXPECT_LE(relative(nhwc, nchw), 1e-5) << "batch " << batch;
  }
  model::apply_memory_layout(*net, MemoryLayout::NCHW);
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.is_contiguous());
  EXPECT_THROW(model::apply_memory_layout(*net, MemoryLayout::Auto), flex::Error);
}

TEST(Compute, GroupNormFilmIsLayoutBlind) {
  torch::manual_seed(1);
  const auto x = torch::randn({3, 64, 8, 8}), w = torch::randn({64}), b = torch::randn({64});
  const auto scale = torch::randn({3, 64}), shift = torch::randn({3, 64});
  const auto a = model::group_norm_film(x, 32, w, b, scale, shift);
  const auto cl = model::group_norm_film(x.contiguous(at::MemoryFormat::ChannelsLast), 32, w, b, scale, shift);
  EXPECT_TRUE(cl.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_LE((a - cl).abs().max().item<double>(), 1e-5);
}

TEST(Compute, DropoutMaskIsTheSameInEveryLayout) {
  const auto x = torch::randn({2, 8, 16, 16});
  torch::manual_seed(5);
  const auto a = model::dropout(x, 0.3, true);
  torch::manual_seed(5);
  const auto b = model::dropout(x.contiguous(at::MemoryFormat::ChannelsLast), 0.3, true);
  EXPECT_TRUE(a.equal(b.contiguous()));
  torch::manual_seed(5);
  const auto h = model::dropout(x.to(at::kBFloat16), 0.3, true);
  EXPECT_EQ(h.scalar_type(), at::kFloat) << "the 1/(1-p) scale is applied in fp32";
  EXPECT_TRUE(h.ne(0).equal(a.ne(0)));
}

// The tolerances, in u = 2^-9 (bf16's unit round-off): the RMS error of the
// output within 5 u, its largest element within 30 u of the output's spread
// (the same bound as the parity fixture's, diffusion/parity.hpp).
TEST(Compute, Bf16ForwardStaysWithinToleranceOfFp32) {
  for (const auto tasks : {model::TaskSet::SuperResolution, model::TaskSet::Multitask}) {
    const auto c = tiny(tasks);
    auto net = random_flex(c);
    const auto in = inputs(c, 2);
    torch::NoGradGuard no_grad;
    const auto fp32 = net->forward(in.z, in.t, in.cond, flex::Task::SuperResolution, in.low);
    for (const auto layout : {MemoryLayout::NCHW, MemoryLayout::NHWC}) {
      model::apply_memory_layout(*net, layout);
      const auto bf16 = model::in_precision(Precision::BF16, c10::DeviceType::CPU, [&] {
        return net->forward(in.z, in.t, in.cond, flex::Task::SuperResolution, in.low);
      });
      EXPECT_EQ(bf16.scalar_type(), at::kFloat);
      EXPECT_TRUE(torch::isfinite(bf16).all().item<bool>());
      const double r = relative(bf16, fp32);
      EXPECT_LE(rms_relative(bf16, fp32), 5.0 / 512) << model::memory_layout_name(layout);
      EXPECT_LE(r, 30.0 / 512) << model::memory_layout_name(layout);
      EXPECT_GT(r, 0) << "the bf16 scope did not change the arithmetic";
      std::printf("bf16 vs fp32 (%s, %s): max |diff| / std = %.3e, |diff| / |fp32| = %.3e\n",
                  model::task_set_name(tasks).c_str(), model::memory_layout_name(layout), r, rms_relative(bf16, fp32));
    }
  }
}

TEST(Compute, Bf16TrainingStepKeepsFp32MasterWeightsAndGradients) {
  auto c = tiny();
  c.dropout = 0.1;
  auto fp32_net = random_flex(c);
  auto bf16_net = random_flex(c);  // same seed: same weights
  const auto in = inputs(c, 2);
  auto grads = [&](model::Flex& net, Precision p) {
    net->train();
    net->zero_grad();
    torch::manual_seed(11);  // the same dropout masks
    const auto out = model::in_precision(p, c10::DeviceType::CPU, [&] {
      return net->forward(in.z, in.t, in.cond, flex::Task::SuperResolution, in.low);
    });
    (out - in.z).abs().mean().backward();
    std::vector<at::Tensor> g;
    for (const auto& p : net->parameters()) {
      EXPECT_EQ(p.scalar_type(), at::kFloat);
      if (p.grad().defined()) {
        EXPECT_EQ(p.grad().scalar_type(), at::kFloat);
        g.push_back(p.grad().flatten());
      }
    }
    return torch::cat(g);
  };
  const auto g32 = grads(fp32_net, Precision::FP32), g16 = grads(bf16_net, Precision::BF16);
  ASSERT_EQ(g32.numel(), g16.numel());
  EXPECT_TRUE(torch::isfinite(g16).all().item<bool>());
  // The whole gradient vector's direction and size agree to bf16 accuracy.
  const double cosine = (g32 * g16).sum().item<double>() / (g32.norm() * g16.norm()).item<double>();
  EXPECT_GT(cosine, 0.99);
  EXPECT_NEAR(g16.norm().item<double>() / g32.norm().item<double>(), 1.0, 0.03);
}

TEST(Compute, AutoLayoutTimesBothAndAFixedOneDoesNot) {
  model::LayoutProbe probe;
  probe.channels = 32, probe.img = 32, probe.batch = 2;
  for (const auto p : {Precision::FP32, Precision::BF16}) {
    probe.precision = p;
    const auto c = model::choose_memory_layout(MemoryLayout::Auto, probe);
    EXPECT_TRUE(c.measured);
    EXPECT_GT(c.nchw_s, 0);
    EXPECT_GT(c.nhwc_s, 0);
    EXPECT_EQ(c.layout, c.nhwc_s < model::kNhwcThreshold * c.nchw_s ? MemoryLayout::NHWC : MemoryLayout::NCHW);
    EXPECT_NE(model::describe(c).find("measured"), std::string::npos);
  }
  const auto fixed = model::choose_memory_layout(MemoryLayout::NHWC, probe);
  EXPECT_FALSE(fixed.measured);
  EXPECT_EQ(fixed.layout, MemoryLayout::NHWC);
}
