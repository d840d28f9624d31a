// The U-ViT baseline: shapes, patch-grid layout, gradient coverage,
// overfitting one batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>

#include "flex/core/error.hpp"
#include "flex/model/uvit.hpp"
#include "helpers.hpp"

namespace flex::model {
namespace {

using testing::random_batch;

UViTConfig tiny(std::int64_t cond_channels = 1, std::int64_t patch = 8) {
  UViTConfig c;
  c.img = 32, c.width = 64, c.depth = 3, c.heads = 2, c.patch = patch, c.cond_channels = cond_channels;
  return c;
}

TEST(Uvit, OutputShapeForTasksAndPatchSizes) {
  for (std::int64_t cond : {1, 2})
    for (std::int64_t patch : {8, 4}) {
      torch::manual_seed(1);
      UViT net(tiny(cond, patch));
      const auto b = random_batch(3, 1, cond, 32, 32, 2);
      EXPECT_EQ(net->forward(b.z, b.t, b.cond, b.field).sizes(), b.z.sizes()) << cond << " " << patch;
    }
  auto c = tiny();
  c.img = 64, c.out_channels = 2;
  UViT wide(c);
  const auto b = random_batch(2, 2, 1, 64, 64, 3);
  EXPECT_EQ(wide->forward(b.z, b.t, b.cond, b.field).sizes(), b.z.sizes());
  EXPECT_EQ(wide->named_parameters()["pos_embed"].size(1), 2 + 8 * 8);  // time, condition, 8x8 patches
}

TEST(Uvit, InputOfAnotherSizeIsRejected) {
  UViT net(tiny());
  const auto b = random_batch(1, 1, 1, 64, 64, 4);
  EXPECT_THROW(net->forward(b.z, b.t, b.cond, b.field), InputError);
}

TEST(Uvit, BadConfigurationsNameTheKey) {
  auto expect_key = [](UViTConfig c, const std::string& key) {
    try {
      c.validate("deck.txt");
      ADD_FAILURE() << "no error for " << key;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  auto c = tiny();
  c.depth = 4;
  expect_key(c, "uvit.depth");
  c = tiny(), c.heads = 3;
  expect_key(c, "uvit.heads");
  c = tiny(), c.patch = 5;
  expect_key(c, "uvit.patch");
}

// The final conv sees the un-patchified field: with it set to the identity
// and the prediction head reading only its bias, output pixel (c, p1, p2) of
// every patch must equal bias entry (p1 * patch + p2) * channels + c
// (U-ViT's 'B (h w) (p1 p2 C) -> B C (h p1) (w p2)').
TEST(Uvit, UnpatchifyOrderIsPatchRowColumnChannel) {
  auto c = tiny(1, 4);
  c.out_channels = 2;
  UViT net(c);
  const auto p = c.patch, o = c.out_channels;
  {
    torch::NoGradGuard g;
    auto params = net->named_parameters();
    params["decoder_pred.weight"].zero_();
    params["decoder_pred.bias"].copy_(torch::arange(p * p * o, torch::kFloat));
    auto w = params["final_layer.weight"];
    w.zero_();
    for (int ch = 0; ch < o; ++ch) w[ch][ch][1][1] = 1.0;
    params["final_layer.bias"].zero_();
  }
  const auto b = random_batch(1, o, 1, 32, 32, 5);
  const auto out = net->forward(b.z, b.t, b.cond, b.field);
  for (int ch = 0; ch < o; ++ch)
    for (int y : {0, 5, 31})
      for (int x : {0, 6, 30}) {
        const double want = ((y % p) * p + (x % p)) * o + ch;
        EXPECT_FLOAT_EQ(out[0][ch][y][x].item<float>(), static_cast<float>(want)) << ch << " " << y << " " << x;
      }
}

TEST(Uvit, EveryParameterGetsAGradient) {
  torch::manual_seed(6);
  UViT net(tiny(2));
  const auto b = random_batch(2, 1, 2, 32, 32, 7);
  (net->forward(b.z, b.t, b.cond, b.field) - torch::randn_like(b.z)).square().mean().backward();
  const auto missing = testing::parameters_without_gradient(*net);
  EXPECT_TRUE(missing.empty()) << missing.size() << " parameters without gradient, first " << missing.front();
}

TEST(Uvit, OverfitsOneBatch) {
  torch::manual_seed(8);
  UViT net(tiny(1, 4));
  const auto b = random_batch(4, 1, 1, 32, 32, 9);
  const auto target = torch::randn_like(b.z);
  const auto start = std::chrono::steady_clock::now();
  const auto [first, best] = testing::overfit(
      *net, [&](const testing::Batch& x) { return net->forward(x.z, x.t, x.cond, x.field); }, b, target, 400, 2e-3);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "U-ViT overfit: loss " << first << " -> " << best << " in " << seconds << " s\n";
  EXPECT_LT(best, first / 10);
}

}  // namespace
}  // namespace flex::model
