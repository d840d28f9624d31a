// model.backbone: the deck picks the network, bad keys are named, raw
// backbones diffuse around zero, the sampler's denoiser matches forward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/shapes.hpp"
#include "helpers.hpp"

namespace flex::model {
namespace {

// model.size=tiny unless the overrides choose a size.
Deck deck_with(std::vector<std::string> overrides) {
  bool sized = false;
  for (const auto& o : overrides) sized = sized || o.rfind("model.size=", 0) == 0;
  if (!sized) overrides.insert(overrides.begin(), "model.size=tiny");
  DeckSchema schema;
  declare_model_keys(schema);
  declare_backbone_keys(schema);
  return Deck::parse(schema, "", overrides);
}

Backbone tiny_backbone(const std::string& kind, std::vector<std::string> more = {}) {
  more.insert(more.begin(), {"model.backbone=" + kind, "model.dropout=0"});
  return make_backbone(deck_with(more), 1);
}

TEST(Backbone, DeckPicksTheNetwork) {
  const auto flex = tiny_backbone("flex");
  EXPECT_EQ(flex.kind, BackboneKind::Flex);
  EXPECT_NE(flex.flex(), nullptr);
  const auto unet = tiny_backbone("unet");
  EXPECT_EQ(unet.kind, BackboneKind::UNet);
  EXPECT_NE(std::dynamic_pointer_cast<UNetImpl>(unet.module), nullptr);
  EXPECT_EQ(unet.flex(), nullptr);
  EXPECT_EQ(unet.space, Space::Residual);
  const auto uvit = tiny_backbone("uvit");
  EXPECT_NE(std::dynamic_pointer_cast<UViTImpl>(uvit.module), nullptr);
  EXPECT_EQ(std::dynamic_pointer_cast<UViTImpl>(uvit.module)->config().patch, 8);
  EXPECT_EQ(tiny_backbone("unet", {"unet.variant=raw"}).space, Space::Raw);
}

TEST(Backbone, DeckKeysReachTheBaselines) {
  const auto c = backbone_config_from_deck(deck_with({"model.backbone=unet", "model.tasks=fc",
                                                      "unet.channels=32,64,64", "unet.attention_levels=-1",
                                                      "unet.heads=4", "unet.blocks=2"}));
  EXPECT_EQ(c.unet.channels, (std::vector<std::int64_t>{32, 64, 64}));
  EXPECT_TRUE(c.unet.attention_levels.empty());
  EXPECT_EQ(c.unet.heads, 4);
  EXPECT_EQ(c.unet.blocks, 2);
  EXPECT_EQ(c.unet.cond_channels, 2);  // two forecast frames
  const auto v = backbone_config_from_deck(deck_with({"model.backbone=uvit", "uvit.patch=4",
                                                      "uvit.width=96", "model.img=64"}));
  EXPECT_EQ(v.uvit.patch, 4);
  EXPECT_EQ(v.uvit.width, 96);
  EXPECT_EQ(v.uvit.depth, 3);  // tiny's
  EXPECT_EQ(v.uvit.img, 64);
}

TEST(Backbone, BadValuesNameTheKey) {
  auto expect_key = [](const std::vector<std::string>& overrides, const std::string& key) {
    try {
      backbone_config_from_deck(deck_with(overrides));
      ADD_FAILURE() << "no error for " << key;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_key({"model.backbone=resnet"}, "model.backbone");
  expect_key({"model.backbone=unet", "model.tasks=mt"}, "model.tasks");
  expect_key({"model.backbone=uvit", "model.tasks=mt"}, "model.tasks");
  expect_key({"model.backbone=unet", "unet.channels=32,40"}, "unet.channels");
  expect_key({"model.backbone=unet", "unet.attention_levels=2"}, "unet.attention_levels");
  expect_key({"model.backbone=unet", "unet.attention_levels=-1,1"}, "unet.attention_levels");
  expect_key({"model.backbone=unet", "unet.heads=3"}, "unet.heads");
  expect_key({"model.backbone=unet", "unet.variant=log"}, "unet.variant");
  expect_key({"model.backbone=unet", "unet.channels=32,32,32,32,32,32,32"}, "model.img");
  expect_key({"model.backbone=uvit", "uvit.depth=4"}, "uvit.depth");
  expect_key({"model.backbone=uvit", "uvit.patch=5"}, "uvit.patch");
  expect_key({"model.backbone=uvit", "uvit.heads=5"}, "uvit.heads");
  expect_key({"model.size=L", "model.backbone=uvit"}, "model.size");
}

TEST(Backbone, RawDiffusesAroundZero) {
  const auto base = torch::randn({2, 1, 8, 8});
  EXPECT_TRUE(torch::equal(diffusion_base(tiny_backbone("unet"), base), base));
  EXPECT_EQ(diffusion_base(tiny_backbone("unet", {"unet.variant=raw"}), base).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(diffusion_base(tiny_backbone("uvit"), base), base));
  // Target and its inverse: residual space passes the residual through; raw
  // diffuses the full field base + residual and subtracts the base back.
  const auto residual = torch::randn({2, 1, 8, 8});
  const auto res = tiny_backbone("unet"), raw = tiny_backbone("unet", {"unet.variant=raw"});
  EXPECT_TRUE(torch::equal(diffusion_target(res, base, residual), residual));
  EXPECT_TRUE(torch::allclose(diffusion_target(raw, base, residual), base + residual));
  EXPECT_TRUE(torch::allclose(data_residual(raw, base, diffusion_target(raw, base, residual)), residual));
  EXPECT_TRUE(torch::equal(data_residual(res, base, residual), residual));
  // What the sampler returns (estimate + diffusion_base) is the full field either way.
  const auto full = base + residual;
  EXPECT_TRUE(torch::allclose(diffusion_target(raw, base, residual) + diffusion_base(raw, base), full));
  EXPECT_TRUE(torch::allclose(diffusion_target(res, base, residual) + diffusion_base(res, base), full));
}

TEST(Backbone, ForwardChecksTheTask) {
  for (const std::string kind : {"unet", "uvit"}) {
    const auto sr = tiny_backbone(kind);
    const auto b = testing::random_batch(2, 1, 1, 32, 32, 3);
    EXPECT_TRUE(sr.has_task(Task::SuperResolution));
    EXPECT_FALSE(sr.has_task(Task::Forecast));
    EXPECT_EQ(sr(b.z, b.t, b.cond, Task::SuperResolution, b.field).sizes(), b.z.sizes());
    EXPECT_THROW(sr(b.z, b.t, b.cond, Task::Forecast, b.field), InputError) << kind;
    const auto fc = tiny_backbone(kind, {"model.tasks=fc"});
    const auto f = testing::random_batch(2, 1, 2, 32, 32, 4);
    EXPECT_EQ(fc(f.z, f.t, f.cond, Task::Forecast, f.field).sizes(), f.z.sizes());
  }
  const auto mt = tiny_backbone("flex", {"model.tasks=mt"});
  EXPECT_TRUE(mt.has_task(Task::SuperResolution) && mt.has_task(Task::Forecast));
}

// The sampler calls the denoiser with k members stacked along the batch; each
// copy must get what forward gives it alone.
TEST(Backbone, DenoiserMatchesForwardOnStackedCopies) {
  for (const std::string kind : {"unet", "uvit", "flex"}) {
    auto net = tiny_backbone(kind);
    testing::perturb_parameters(*net.module, 0.02, 5);  // off the zero start
    net.module->eval();
    torch::NoGradGuard no_grad;
    const auto b = testing::random_batch(2, 1, 1, 32, 32, 6);
    const auto z = torch::randn({6, 1, 32, 32});
    const auto t = torch::full({6}, 0.5);
    const auto stacked = net.denoiser(Task::SuperResolution, b.field, b.cond)(z, t);
    const auto one = net(z, t, b.cond.repeat({3, 1}), Task::SuperResolution, b.field.repeat({3, 1, 1, 1}));
    EXPECT_GT(one.abs().max().item<float>(), 0.0f) << kind;
    EXPECT_LT((stacked - one).abs().max().item<float>(), 1e-5f) << kind;
  }
}

// Default sizes next to FLEX-S (SPEC §5: 49,718,529 single-task): the
// baselines must be in the same class, as the paper's DM-S U-Net (69M).
// Counts at img 256; one forward on a 64² patch (model.img = 64) checks the
// S layouts end to end at 1/16 of the cost.
TEST(Backbone, SizeSParameterCountsComparableToFlexS) {
  const auto flex_s = count_parameters(flex_config_for_size("S"));  // from shapes, no allocation
  const auto b = testing::random_batch(1, 1, 1, 64, 64, 7);
  for (const std::string kind : {"unet", "uvit"}) {
    const auto n = count_parameters(*make_backbone(deck_with({"model.size=S", "model.backbone=" + kind}), 1).module);
    std::cout << kind << "-S parameters: " << n << " (FLEX-S " << flex_s << ")\n";
    EXPECT_GT(n, 0.75 * flex_s) << kind;
    EXPECT_LT(n, 1.5 * flex_s) << kind;
    auto net = make_backbone(deck_with({"model.size=S", "model.img=64", "model.backbone=" + kind}), 1);
    net.module->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(net(b.z, b.t, b.cond, Task::SuperResolution, b.field).sizes(), b.z.sizes()) << kind;
  }
}

// M sizes (about 1 GB to allocate, so run by hand:
// baselines_backbone --gtest_also_run_disabled_tests --gtest_filter='*SizeM*'):
// the paper's DM-M U-Net has 225M parameters, DM-M U-ViT 210M.
TEST(Backbone, DISABLED_SizeMParameterCounts) {
  for (const std::string kind : {"unet", "uvit"}) {
    const auto n = count_parameters(*make_backbone(deck_with({"model.size=M", "model.backbone=" + kind}), 1).module);
    std::cout << kind << "-M parameters: " << n << "\n";
    EXPECT_GT(n, 150'000'000) << kind;
    EXPECT_LT(n, 300'000'000) << kind;
  }
}

}  // namespace
}  // namespace flex::model
