// FLEX forward/backward behaviour: output shapes per size, exact zero output
// at initialisation, gradients reach every parameter, batch independence,
// the conditioning ablations, checkpoint round trips, and a tiny model that
// overfits one batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <set>
#include <unistd.h>  // getpid

#include "flex/core/error.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/state_dict.hpp"

using namespace flex::model;
using flex::Task;
namespace fs = std::filesystem;

namespace {

FlexConfig config(const std::string& size, TaskSet tasks, std::int64_t img) {
  auto c = flex_config_for_size(size);
  c.tasks = tasks, c.img = img;
  return c;
}

struct Inputs {
  torch::Tensor z, t, cond, low, frames;
};

Inputs inputs(const FlexConfig& c, std::int64_t batch, std::uint64_t seed = 3) {
  torch::manual_seed(seed);
  return {torch::randn({batch, c.out_channels, c.img, c.img}), torch::rand({batch}),
          torch::rand({batch, c.n_cond_scalars}), torch::randn({batch, c.in_channels, c.img, c.img}),
          torch::randn({batch, c.fc_input_channels(), c.img, c.img})};
}

torch::Tensor run(Flex& net, const Inputs& x, Task task) {
  return net->forward(x.z, x.t, x.cond, task, task == Task::SuperResolution ? x.low : x.frames);
}

// The reference zero-initialises every ResBlock's output conv and the head;
// give them small random weights so every path carries signal (as the
// parity fixture does).
void perturb_zero_convs(Flex& net, std::uint64_t seed = 11) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& b : net->resblocks()) {
    b->out_conv()->weight.normal_(0, 0.02);
    b->out_conv()->bias.normal_(0, 0.02);
  }
  net->decoder()->head_conv()->weight.normal_(0, 0.02);
  net->decoder()->head_conv()->bias.normal_(0, 0.02);
}

}  // namespace

TEST(ModelNetwork, OutputShapesForEverySize) {
  // L (1.1e9 parameters) is left to the benchmark; its shapes are tested in model_structure.
  for (const std::string size : {"tiny", "S", "M"}) {
    const auto c = config(size, TaskSet::Multitask, 32);
    auto net = Flex(c);
    net->eval();
    torch::NoGradGuard no_grad;
    const auto x = inputs(c, 2);
    for (auto task : {Task::SuperResolution, Task::Forecast}) {
      const auto out = net->forward_with_features(x.z, x.t, x.cond, task,
                                                  task == Task::SuperResolution ? x.low : x.frames);
      EXPECT_EQ(out.v.sizes(), x.z.sizes()) << size;
      EXPECT_EQ(out.bottleneck.sizes(), (std::vector<std::int64_t>{2, c.embed_dim(), 2, 2})) << size;
    }
  }
  // Other patch sizes and channel counts.
  auto c = config("tiny", TaskSet::Forecast, 64);
  c.in_channels = 3, c.out_channels = 3, c.n_cond_scalars = 2;
  auto net = Flex(c);
  const auto x = inputs(c, 1);
  EXPECT_EQ(run(net, x, Task::Forecast).sizes(), x.z.sizes());
  EXPECT_THROW(run(net, x, Task::SuperResolution), flex::InputError);  // no SR encoder
}

TEST(ModelNetwork, ZeroInitialisedHeadGivesExactZero) {
  for (const std::string size : {"tiny", "S"}) {
    const auto c = config(size, TaskSet::SuperResolution, 32);
    auto net = Flex(c);
    const auto x = inputs(c, 2);
    EXPECT_EQ(run(net, x, Task::SuperResolution).abs().max().item<float>(), 0.0f) << size;
  }
}

TEST(ModelNetwork, EveryParameterGetsAGradient) {
  auto c = config("tiny", TaskSet::Multitask, 32);
  c.dropout = 0;
  auto net = Flex(c);
  perturb_zero_convs(net);
  const auto x = inputs(c, 2);
  for (auto task : {Task::SuperResolution, Task::Forecast}) {
    net->zero_grad();
    run(net, x, task).square().mean().backward();
    // The only parameters without a gradient: the other task's encoder
    // (the reference behaves the same; multitask updates once per task).
    const std::string idle = task == Task::SuperResolution ? "forecast_encoder." : "superres_encoder.";
    for (const auto& p : net->named_parameters()) {
      const bool unused = p.key().rfind(idle, 0) == 0;
      const auto& g = p.value().grad();
      if (unused) {
        EXPECT_FALSE(g.defined() && g.abs().sum().item<double>() > 0) << p.key();
      } else {
        ASSERT_TRUE(g.defined()) << p.key();
        EXPECT_GT(g.abs().sum().item<double>(), 0.0) << p.key();
      }
    }
  }
  // Buffers (Fourier features) are fixed.
  for (const auto& b : net->named_buffers()) EXPECT_FALSE(b.value().requires_grad()) << b.key();
}

TEST(ModelNetwork, SamplesInABatchAreIndependent) {
  const auto c = config("tiny", TaskSet::Multitask, 32);
  auto net = Flex(c);
  perturb_zero_convs(net);
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = inputs(c, 3);
  const auto all = run(net, x, Task::Forecast);
  const Inputs one{x.z.narrow(0, 1, 1), x.t.narrow(0, 1, 1), x.cond.narrow(0, 1, 1), x.low.narrow(0, 1, 1),
                   x.frames.narrow(0, 1, 1)};
  EXPECT_LT((run(net, one, Task::Forecast) - all.narrow(0, 1, 1)).abs().max().item<float>(), 1e-5);
  // Stacked copies of z against features of one batch (ensemble members).
  auto den = net->denoiser(Task::Forecast, x.frames, x.cond);
  const auto twice = den(torch::cat({x.z, x.z}), torch::cat({x.t, x.t}));
  EXPECT_LT((twice.narrow(0, 3, 3) - all).abs().max().item<float>(), 1e-5);
}

TEST(ModelNetwork, ConditioningAblations) {
  const auto base = config("tiny", TaskSet::SuperResolution, 32);
  const auto x = inputs(base, 2);
  auto output = [&](const FlexConfig& c) {
    torch::manual_seed(5);
    auto net = Flex(c);
    perturb_zero_convs(net);
    net->eval();
    torch::NoGradGuard no_grad;
    return run(net, x, Task::SuperResolution);
  };
  const auto reference = output(base);
  auto weak_only = base;
  weak_only.strong = false;
  auto strong_only = base;
  strong_only.weak_levels = 0;
  auto early = base;
  early.weak_levels = 1;
  auto concat = base;
  concat.conditioning = Conditioning::Concat;
  for (const auto& c : {weak_only, strong_only, early, concat}) {
    const auto out = output(c);
    EXPECT_EQ(out.sizes(), reference.sizes()) << describe(c);
    EXPECT_GT((out - reference).abs().max().item<float>(), 1e-6) << describe(c) << " changed nothing";
  }
  // The conditioning field matters in every variant.
  for (const auto& c : {base, weak_only, strong_only, concat}) {
    torch::manual_seed(5);
    auto net = Flex(c);
    perturb_zero_convs(net);
    net->eval();
    torch::NoGradGuard no_grad;
    const auto a = net->forward(x.z, x.t, x.cond, Task::SuperResolution, x.low);
    const auto b = net->forward(x.z, x.t, x.cond, Task::SuperResolution, x.low * 2);
    EXPECT_GT((a - b).abs().max().item<float>(), 1e-6) << describe(c);
  }
}

TEST(ModelNetwork, CheckpointRoundTripAndClearErrors) {
  const auto dir = fs::temp_directory_path() / ("flex_model_ckpt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = (dir / "tiny.pt").string();
  const auto c = config("tiny", TaskSet::Multitask, 32);
  auto a = build_flex(c, 1);
  perturb_zero_convs(a);
  save_checkpoint(*a, path, false);
  EXPECT_THROW(save_checkpoint(*a, path, false), flex::InputError);  // never silently replaced

  auto b = build_flex(c, 2);
  const auto report = load_checkpoint(*b, path);
  EXPECT_EQ(report.loaded.size(), state_dict(*a).size());
  a->eval(), b->eval();
  const auto x = inputs(c, 2);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(run(a, x, Task::Forecast), run(b, x, Task::Forecast)));

  // Multitask checkpoint into a single-task network: strict load names the extras.
  auto sr = Flex(config("tiny", TaskSet::SuperResolution, 32));
  try {
    load_checkpoint(*sr, path);
    FAIL() << "extra forecast_encoder entries accepted";
  } catch (const flex::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("forecast_encoder."), std::string::npos) << e.what();
  }
  EXPECT_EQ(load_checkpoint(*sr, path, /*strict=*/false).unexpected.size(),
            state_dict(*a).size() - state_dict(*sr).size());
  // Wrong patch size: the positional embedding's shape is named.
  auto big = Flex(config("tiny", TaskSet::Multitask, 64));
  try {
    load_checkpoint(*big, path);
    FAIL() << "shape mismatch accepted";
  } catch (const flex::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.pos_embed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_state_dict((dir / "missing.pt").string()), flex::InputError);
  fs::remove_all(dir);
}

TEST(ModelNetwork, TinyModelOverfitsOneBatch) {
  auto c = config("tiny", TaskSet::SuperResolution, 32);
  c.dropout = 0;
  auto net = build_flex(c, 4);
  const auto x = inputs(c, 2);
  // One fixed noised batch: the target is learnable exactly.
  const auto r = torch::randn_like(x.z) * 0.5;
  const flex::diffusion::NoiseDraw draw{torch::tensor({0.3f, 0.7f}), torch::randn_like(x.z)};
  const auto batch = flex::diffusion::add_noise(r, draw, {}, flex::diffusion::Parameterisation::V);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(2e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    const auto out = net->forward(batch.z_t, draw.t, x.cond, Task::SuperResolution, x.low);
    auto loss = flex::diffusion::diffusion_loss(out, batch, {});
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
    if (step > 0 && last < first / 10) break;
  }
  EXPECT_LT(last, first / 10) << "L1 loss " << first << " -> " << last;
}

TEST(ModelNetwork, ResidualBaseIsTheConditioningFieldOrTheLastFrame) {
  auto c = config("tiny", TaskSet::Multitask, 32);
  c.in_channels = 2, c.cond_frames = 3;
  const auto frames = torch::arange(6).view({1, 6, 1, 1}).to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(residual_base(c, Task::Forecast, frames), frames.narrow(1, 4, 2)));
  EXPECT_TRUE(torch::equal(residual_base(c, Task::SuperResolution, frames), frames));
}
