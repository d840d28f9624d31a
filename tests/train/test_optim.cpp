#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "flex/core/error.hpp"
#include "flex/train/checkpoint.hpp"
#include "flex/train/ema.hpp"
#include "flex/train/gradients.hpp"
#include "flex/train/optimizer.hpp"
#include "flex/train/schedule.hpp"
#include "flex/train/validation.hpp"

using namespace flex::train;

TEST(Lion, MatchesHandComputedSteps) {
  auto p = torch::tensor({1.0, -2.0, 0.5}, torch::kDouble).requires_grad_();
  OptimizerOptions o;
  o.weight_decay = 0.1;
  Lion lion({p}, o);
  p.mutable_grad() = torch::tensor({0.3, -0.2, 0.0}, torch::kDouble);
  lion.step(0.01);
  // m = 0: c = 0.1 g -> sign(g); p = p (1 - 0.001) - 0.01 sign(c); m = 0.01 g.
  EXPECT_NEAR(p[0].item<double>(), 1.0 * 0.999 - 0.01, 1e-15);
  EXPECT_NEAR(p[1].item<double>(), -2.0 * 0.999 + 0.01, 1e-15);
  EXPECT_NEAR(p[2].item<double>(), 0.5 * 0.999, 1e-15);  // sign(0) = 0
  // Second step with g = (-0.01, 0, 1): c = 0.9 m + 0.1 g, m = (0.003, -0.002, 0).
  p.mutable_grad() = torch::tensor({-0.01, 0.0, 1.0}, torch::kDouble);
  lion.step(0.01);
  // c0 = 0.0027 - 0.001 > 0; c1 = -0.0018 < 0; c2 = 0.1 > 0.
  EXPECT_NEAR(p[0].item<double>(), (0.999 - 0.01) * 0.999 - 0.01, 1e-15);
  EXPECT_NEAR(p[1].item<double>(), (-2.0 * 0.999 + 0.01) * 0.999 + 0.01, 1e-15);
  EXPECT_NEAR(p[2].item<double>(), 0.5 * 0.999 * 0.999 - 0.01, 1e-15);
  auto st = lion.state();
  EXPECT_NEAR(st.at("lion.m.0")[0].item<double>(), 0.99 * 0.003 + 0.01 * -0.01, 1e-15);
}

TEST(Optimizer, SkipsParametersWithoutGradient) {
  auto a = torch::ones({2}, torch::kDouble).requires_grad_(), b = torch::ones({2}, torch::kDouble).requires_grad_();
  for (std::string name : {"lion", "adamw"}) {
    OptimizerOptions o;
    o.name = name;
    o.weight_decay = 0.5;
    auto opt = make_optimizer({a, b}, o);
    a.mutable_grad() = torch::ones({2}, torch::kDouble);
    opt->step(0.1);
    EXPECT_TRUE(torch::equal(b, torch::ones({2}, torch::kDouble))) << name;
    EXPECT_LT(a[0].item<double>(), 1.0) << name;
    opt->zero_grad();
    EXPECT_FALSE(a.grad().defined());
  }
}

TEST(AdamW, FirstStepIsSignLikeAndStateRoundTrips) {
  auto p = torch::tensor({1.0, 2.0}, torch::kDouble).requires_grad_();
  OptimizerOptions o;
  o.name = "adamw";
  o.beta2 = 0.999;
  AdamW opt({p}, o);
  p.mutable_grad() = torch::tensor({0.5, -4.0}, torch::kDouble);
  opt.step(0.1);
  // Bias-corrected first step: m_hat = g, v_hat = g^2: update = lr g / (|g| + eps).
  EXPECT_NEAR(p[0].item<double>(), 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-12);
  EXPECT_NEAR(p[1].item<double>(), 2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-12);
  auto q = p.detach().clone().requires_grad_();
  AdamW copy({q}, o);
  copy.load_state(opt.state());
  p.mutable_grad() = torch::tensor({0.1, 0.2}, torch::kDouble);
  q.mutable_grad() = torch::tensor({0.1, 0.2}, torch::kDouble);
  opt.step(0.1);
  copy.step(0.1);
  EXPECT_TRUE(torch::equal(p, q));
}

TEST(LrSchedule, WarmupThenCosine) {
  LrSchedule s{1e-3, 1e-5, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 1e-4);
  EXPECT_DOUBLE_EQ(s.at(9), 1e-3);
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);
  EXPECT_NEAR(s.at(60), 1e-5 + (1e-3 - 1e-5) * 0.5, 1e-15);  // half way: cos = 0
  EXPECT_NEAR(s.at(35), 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-15);
  EXPECT_DOUBLE_EQ(s.at(110), 1e-5);
  EXPECT_DOUBLE_EQ(s.at(500), 1e-5);
}

TEST(Ema, UpdateAndSwap) {
  auto w = torch::zeros({3}).requires_grad_();
  auto buf = torch::zeros({1});
  Ema ema({{"w", w}, {"buf", buf}}, 0.9);
  {
    torch::NoGradGuard g;
    w.fill_(1.0);
    buf.fill_(7.0);
  }
  ema.update();
  EXPECT_FLOAT_EQ(ema.shadow()[0].second[0].item<float>(), 0.1f);  // 0.9 * 0 + 0.1 * 1
  EXPECT_FLOAT_EQ(ema.shadow()[1].second[0].item<float>(), 7.0f);  // buffers copied
  ema.update();
  EXPECT_FLOAT_EQ(ema.shadow()[0].second[0].item<float>(), 0.19f);
  {
    EmaScope scope(ema);
    EXPECT_FLOAT_EQ(w[0].item<float>(), 0.19f);
  }
  EXPECT_FLOAT_EQ(w[0].item<float>(), 1.0f);
}

TEST(Clip, GlobalNormBound) {
  auto a = torch::zeros({2}).requires_grad_(), b = torch::zeros({1}).requires_grad_();
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  b.mutable_grad() = torch::tensor({4.0f});
  const double n = global_grad_norm({a, b});
  EXPECT_DOUBLE_EQ(n, 5.0);
  clip_grad_norm({a, b}, n, 1.0);
  EXPECT_NEAR(global_grad_norm({a, b}), 1.0, 1e-6);
  EXPECT_NEAR(rfne_per_sample(torch::ones({1, 4}) * 2, torch::ones({1, 4}))[0].item<double>(), 1.0, 1e-12);
}

TEST(Checkpoints, NumberedAtomicKeepLast) {
  namespace fs = std::filesystem;
  const std::string dir = "/tmp/flex_chk_test_" + std::to_string(::getpid());
  fs::remove_all(dir);
  CheckpointStore store(dir, 2);
  EXPECT_FALSE(store.newest().has_value());
  for (std::int64_t step : {10, 20, 30}) {
    store.write(step, [&](const std::string& tmp) {
      save_tensors(tmp + "/x.pt", {{"x", torch::full({2}, static_cast<double>(step))}});
      std::ofstream(tmp + "/state.json") << "{}";
    });
  }
  EXPECT_EQ(store.steps(), (std::vector<std::int64_t>{20, 30}));
  EXPECT_EQ(fs::path(*store.newest()).filename(), "chk00000030");
  EXPECT_EQ(load_tensors(*store.newest() + "/x.pt").at("x")[1].item<double>(), 30.0);
  // A half-written checkpoint (no state.json) is not valid, and a killed writer's temp dir is cleaned.
  fs::create_directories(dir + "/chk00000040");
  fs::create_directories(dir + "/.chk00000050.tmp123");
  EXPECT_EQ(store.steps().back(), 30);
  store.remove_stale_temporaries();
  EXPECT_FALSE(fs::exists(dir + "/.chk00000050.tmp123"));
  fs::remove_all(dir);
}

namespace {

// A scratch checkpoint directory with every tensor file present.
std::string checkpoint_dir(const std::string& tag) {
  const std::string dir = "/tmp/flex_chk_" + tag + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST(Checkpoints, ContentsRoundTrip) {
  const std::string dir = checkpoint_dir("roundtrip");
  Checkpoint c;
  c.state = {8, 4, 2, 0.1 * 0.5 * 0.5, 1, 2, 7, "adamw", 4096.0};
  c.model = {{"w", torch::randn({3})}};
  c.ema = {{"w", torch::randn({3})}};
  c.optimizer = {{"adamw.m.0", torch::randn({3})}};
  c.data_order = {{"sr", torch::arange(4)}};
  c.rng = {{"rank0", torch::ones({2}, torch::kUInt8)}, {"rank1", torch::zeros({2}, torch::kUInt8)}};
  write_checkpoint(dir, c);
  const Checkpoint r = read_checkpoint(dir);
  EXPECT_EQ(r.state.step, 8);
  EXPECT_EQ(r.state.epoch, 4);
  EXPECT_EQ(r.state.steps_per_epoch, 2);
  EXPECT_EQ(r.state.lr_scale, c.state.lr_scale);  // exact: a resume continues bit for bit
  EXPECT_EQ(r.state.bad_run, 1);
  EXPECT_EQ(r.state.ranks, 2);
  EXPECT_EQ(r.state.seed, 7u);
  EXPECT_EQ(r.state.optimizer, "adamw");
  EXPECT_EQ(r.state.loss_scale, 4096.0);  // the fp16 loss scale
  EXPECT_TRUE(torch::equal(r.model.at("w"), c.model.at("w")));
  EXPECT_TRUE(torch::equal(r.ema.at("w"), c.ema.at("w")));
  EXPECT_TRUE(torch::equal(r.optimizer.at("adamw.m.0"), c.optimizer.at("adamw.m.0")));
  EXPECT_TRUE(torch::equal(r.rng.at("rank1"), c.rng.at("rank1")));
  EXPECT_TRUE(std::filesystem::exists(dir + "/data_order.pt"));
  std::filesystem::remove_all(dir);
}

TEST(Checkpoints, ReadsTheStateOfEarlierVersions) {
  const std::string dir = checkpoint_dir("old_state");
  for (const char* file : {"model.pt", "ema.pt", "optimizer.pt", "rng.pt"})
    save_tensors(dir + "/" + file, {{"x", torch::zeros({1})}});
  // What the hand-written JSON of earlier versions looked like.
  std::ofstream(dir + "/state.json") << "{\"step\": 40, \"epoch\": 2, \"steps_per_epoch\": 20, \"lr_scale\": 1, "
                                        "\"bad_run\": 0, \"ranks\": 2, \"seed\": 99, \"optimizer\": \"lion\"}\n";
  const Checkpoint r = read_checkpoint(dir);
  EXPECT_EQ(r.state.step, 40);
  EXPECT_EQ(r.state.lr_scale, 1.0);
  EXPECT_EQ(r.state.bad_run, 0);
  EXPECT_EQ(r.state.ranks, 2);
  EXPECT_EQ(r.state.seed, 99u);
  EXPECT_EQ(r.state.optimizer, "lion");
  EXPECT_EQ(r.state.loss_scale, 0.0) << "no fp16: no loss scale recorded";
  EXPECT_EQ(r.model.count("x"), 1u);
  std::filesystem::remove_all(dir);
}

TEST(Checkpoints, NotACheckpointNamesTheDirectory) {
  const std::string dir = checkpoint_dir("empty");
  try {
    read_checkpoint(dir);
    FAIL() << "read_checkpoint accepted a directory without state.json";
  } catch (const flex::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + " is not a checkpoint"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}
