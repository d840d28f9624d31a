// The diffusion U-Net baseline: shapes, zero output at initialisation,
// attention where asked, gradient coverage, overfitting one batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>

#include "flex/core/error.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/unet.hpp"
#include "helpers.hpp"

namespace flex::model {
namespace {

using testing::random_batch;

UNetConfig tiny(std::int64_t cond_channels = 1) {
  UNetConfig c;
  c.channels = {32, 64}, c.blocks = 1, c.attention_levels = {1}, c.heads = 2, c.cond_channels = cond_channels;
  c.dropout = 0.0;
  return c;
}

TEST(Unet, OutputShapeForTasksAndSizes) {
  for (std::int64_t cond : {1, 2}) {  // SR: upsampled field; FC: two frames
    torch::manual_seed(1);
    UNet net(tiny(cond));
    for (auto hw : std::vector<std::pair<int, int>>{{32, 32}, {64, 64}, {32, 64}}) {
      const auto b = random_batch(3, 1, cond, hw.first, hw.second, 2);
      const auto out = net->forward(b.z, b.t, b.cond, b.field);
      EXPECT_EQ(out.sizes(), b.z.sizes()) << "cond channels " << cond << ", " << hw.first << "x" << hw.second;
    }
  }
}

TEST(Unet, FiveLevelSizeAndMultiChannelOutput) {
  auto c = tiny();
  c.channels = {32, 32, 64, 64, 64}, c.attention_levels = {3, 4}, c.out_channels = 2;
  torch::manual_seed(3);
  UNet net(c);
  const auto b = random_batch(2, 2, 1, 32, 32, 4);
  EXPECT_EQ(net->forward(b.z, b.t, b.cond, b.field).sizes(), b.z.sizes());
  const auto odd = random_batch(1, 2, 1, 24, 24, 4);  // 24 is not a multiple of 2^4
  EXPECT_THROW(net->forward(odd.z, odd.t, odd.cond, odd.field), InputError);
}

TEST(Unet, ZeroOutputAtInitialisation) {
  torch::manual_seed(5);
  UNet net(tiny(2));
  const auto b = random_batch(2, 1, 2, 32, 32, 6);
  EXPECT_EQ(net->forward(b.z, b.t, b.cond, b.field).abs().max().item<float>(), 0.0f);
  // ... because the head conv is zero: perturbing it alone makes the output non-zero.
  {
    torch::NoGradGuard g;
    net->head_conv()->weight.normal_(0, 0.1);
  }
  EXPECT_GT(net->forward(b.z, b.t, b.cond, b.field).abs().max().item<float>(), 0.0f);
}

TEST(Unet, AttentionAtTheRequestedLevelsAndTheMiddle) {
  auto count_attention = [](const UNetConfig& c) {
    UNet net(c);
    int n = 0;
    for (const auto& m : net->named_modules())
      if (m.value()->as<SpatialAttentionImpl>()) ++n;
    return n;
  };
  auto c = tiny();
  c.channels = {32, 64, 64};
  c.blocks = 2;
  c.attention_levels = {};
  EXPECT_EQ(count_attention(c), 1);  // the middle block only
  c.attention_levels = {2};
  EXPECT_EQ(count_attention(c), 1 + 2 + 3);  // middle, encoder blocks, decoder blocks+1
  c.attention_levels = {1, 2};
  EXPECT_EQ(count_attention(c), 1 + 2 * (2 + 3));
}

TEST(Unet, AttentionStartsAsIdentity) {
  torch::manual_seed(7);
  SpatialAttention attn(64, 4, 32);
  const auto x = torch::randn({2, 64, 4, 4});
  EXPECT_TRUE(torch::equal(attn->forward(x), x));
}

TEST(Unet, BadConfigurationsNameTheKey) {
  auto expect_key = [](UNetConfig c, const std::string& key) {
    try {
      c.validate("deck.txt");
      ADD_FAILURE() << "no error for " << key;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("deck.txt"), std::string::npos) << e.what();
    }
  };
  auto c = tiny();
  c.channels = {32, 48};
  expect_key(c, "unet.channels");
  c = tiny(), c.attention_levels = {2};
  expect_key(c, "unet.attention_levels");
  c = tiny(), c.heads = 3;
  expect_key(c, "unet.heads");
  c = tiny(), c.blocks = 0;
  expect_key(c, "unet.blocks");
}

TEST(Unet, EveryParameterGetsAGradient) {
  torch::manual_seed(8);
  UNet net(tiny(2));
  testing::perturb_parameters(*net, 0.02, 9);
  const auto b = random_batch(2, 1, 2, 32, 32, 10);
  (net->forward(b.z, b.t, b.cond, b.field) - torch::randn_like(b.z)).square().mean().backward();
  const auto missing = testing::parameters_without_gradient(*net);
  EXPECT_TRUE(missing.empty()) << missing.size() << " parameters without gradient, first " << missing.front();
}

TEST(Unet, OverfitsOneBatch) {
  torch::manual_seed(11);
  UNet net(tiny());
  const auto b = random_batch(4, 1, 1, 32, 32, 12);
  const auto target = torch::randn_like(b.z);
  const auto start = std::chrono::steady_clock::now();
  const auto [first, best] = testing::overfit(
      *net, [&](const testing::Batch& x) { return net->forward(x.z, x.t, x.cond, x.field); }, b, target, 300, 2e-3);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "U-Net overfit: loss " << first << " -> " << best << " in " << seconds << " s\n";
  EXPECT_LT(best, first / 10);
}

}  // namespace
}  // namespace flex::model
