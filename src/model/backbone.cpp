#include "flex/model/backbone.hpp"

#include <torch/torch.h>

#include <sstream>

#include "flex/core/error.hpp"

namespace flex::model {

Task baseline_task(const FlexConfig& f, const std::string& where, BackboneKind kind) {
  FLEX_REQUIRE(f.tasks != TaskSet::Multitask, where << ": model.backbone = " << backbone_name(kind)
                                                    << " is single-task; set model.tasks = sr or fc");
  return f.tasks == TaskSet::SuperResolution ? Task::SuperResolution : Task::Forecast;
}

std::int64_t task_channels(const FlexConfig& f, Task task) {
  return task == Task::SuperResolution ? f.in_channels : f.fc_input_channels();
}

namespace {

// The baselines' forward and denoiser over any module with forward(z, t, cond, field).
template <class Net>
void bind_baseline(Backbone& b, Net net, Task task, std::int64_t field_channels) {
  auto check = [task, field_channels](Task asked, const torch::Tensor& field) {
    FLEX_REQUIRE(asked == task, "this baseline backbone serves task " << task_name(task) << " only, asked for "
                                        << task_name(asked) << " (model.tasks)");
    FLEX_CHECK(field.dim() == 4 && field.size(1) == field_channels,
               task_name(task) << " conditioning must have " << field_channels << " channels, got " << field.sizes());
  };
  b.tasks = {task};
  b.module = net.ptr();
  b.forward = [net, check](const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond, Task asked,
                           const torch::Tensor& field) mutable {
    check(asked, field);
    return net->forward(z_t, t, cond, field);
  };
  b.denoiser = [net, check](Task asked, const torch::Tensor& field, const torch::Tensor& cond) {
    check(asked, field);
    const auto held = static_cast<std::int64_t>(field.nbytes() + cond.nbytes());
    auto run = [net, field, cond](const torch::Tensor& z, const torch::Tensor& t) mutable {
      FLEX_CHECK(z.size(0) % field.size(0) == 0,
                 "denoiser batch " << z.size(0) << " is not a multiple of the conditioning batch " << field.size(0));
      const auto k = z.size(0) / field.size(0);
      if (k == 1) return net->forward(z, t, cond, field);
      // k stacked copies (e.g. ensemble members), copy-major like z.
      return net->forward(z, t, cond.repeat({k, 1}), field.repeat({k, 1, 1, 1}));
    };
    return BackboneDenoiser{run, held};
  };
}

}  // namespace

BackboneKind parse_backbone_kind(const std::string& word) {
  if (word == "flex") return BackboneKind::Flex;
  if (word == "unet") return BackboneKind::UNet;
  if (word == "uvit") return BackboneKind::UViT;
  FLEX_REQUIRE(false, "model.backbone = '" << word << "': expected one of flex, unet, uvit");
  return BackboneKind::Flex;
}

const char* backbone_name(BackboneKind k) {
  switch (k) {
    case BackboneKind::Flex: return "flex";
    case BackboneKind::UNet: return "unet";
    case BackboneKind::UViT: return "uvit";
  }
  return "?";
}

UNetConfig unet_config_for_size(const std::string& size) {
  UNetConfig c;
  if (size == "tiny") {
    c.channels = {32, 64}, c.blocks = 1, c.attention_levels = {1}, c.heads = 2;
  } else if (size == "S") {
    c.channels = {64, 128, 256, 256, 256}, c.blocks = 2, c.attention_levels = {3, 4}, c.heads = 4;
  } else if (size == "M") {
    c.channels = {128, 256, 384, 512, 512}, c.blocks = 2, c.attention_levels = {3, 4}, c.heads = 8;
  } else {
    FLEX_REQUIRE(false, "model.size = '" << size << "' has no U-Net baseline size (the paper has none); use tiny, S "
                                                    "or M, or set every unet.* size key");
  }
  return c;
}

UViTConfig uvit_config_for_size(const std::string& size) {
  UViTConfig c;
  if (size == "tiny") {
    c.width = 64, c.depth = 3, c.heads = 2;
  } else if (size == "S") {
    c.width = 512, c.depth = 13, c.heads = 8;
  } else if (size == "M") {
    c.width = 1024, c.depth = 15, c.heads = 16;
  } else {
    FLEX_REQUIRE(false, "model.size = '" << size << "' has no U-ViT baseline size (the paper has none); use tiny, S "
                                                    "or M, or set every uvit.* size key");
  }
  return c;
}

bool Backbone::has_task(Task task) const {
  for (auto t : tasks)
    if (t == task) return true;
  return false;
}

std::shared_ptr<FlexImpl> Backbone::flex() const { return std::dynamic_pointer_cast<FlexImpl>(module); }

at::Tensor diffusion_base(const Backbone& backbone, const at::Tensor& base) {
  return backbone.space == Space::Residual ? base : torch::zeros_like(base);
}

at::Tensor diffusion_target(const Backbone& backbone, const at::Tensor& base, const at::Tensor& residual) {
  return backbone.space == Space::Residual ? residual : base + residual;
}

at::Tensor data_residual(const Backbone& backbone, const at::Tensor& base, const at::Tensor& estimate) {
  return backbone.space == Space::Residual ? estimate : estimate - base;
}


Backbone make_backbone(const BackboneConfig& c, std::uint64_t seed) {
  Backbone b;
  b.kind = c.kind;
  if (c.kind == BackboneKind::Flex) {
    auto net = build_flex(c.flex, seed);
    b.module = net.ptr();
    if (c.flex.has_sr()) b.tasks.push_back(Task::SuperResolution);
    if (c.flex.has_fc()) b.tasks.push_back(Task::Forecast);
    b.forward = [net](const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond, Task task,
                      const torch::Tensor& task_input) mutable { return net->forward(z_t, t, cond, task, task_input); };
    b.denoiser = [net](Task task, const torch::Tensor& task_input, const torch::Tensor& cond) mutable {
      auto features = net->encode_task(task, task_input, cond);
      const auto held = features.bytes();
      return BackboneDenoiser{net->denoiser(std::move(features), cond), held};
    };
    return b;
  }
  const auto task = baseline_task(c.flex, "backbone config", c.kind);
  const auto field_channels = task_channels(c.flex, task);
  torch::manual_seed(seed);
  if (c.kind == BackboneKind::UNet) {
    FLEX_CHECK(c.unet.cond_channels == field_channels && c.unet.out_channels == c.flex.out_channels,
               "U-Net channels disagree with model.* (build the config with backbone_config_from_deck)");
    b.space = c.unet.space;
    bind_baseline(b, UNet(c.unet), task, field_channels);
  } else {
    FLEX_CHECK(c.uvit.cond_channels == field_channels && c.uvit.out_channels == c.flex.out_channels,
               "U-ViT channels disagree with model.* (build the config with backbone_config_from_deck)");
    bind_baseline(b, UViT(c.uvit), task, field_channels);
  }
  return b;
}

Backbone make_backbone(const Deck& deck, std::uint64_t seed) { return make_backbone(backbone_config_from_deck(deck), seed); }

LayoutProbe layout_probe(const BackboneConfig& c, std::int64_t batch, c10::Device device, bool training) {
  LayoutProbe p;
  p.channels = c.kind == BackboneKind::UNet ? c.unet.channels.front() : c.flex.channels.front();
  p.img = c.flex.img;
  p.batch = batch;
  p.backward = training;
  p.device = device;
  return p;
}

std::string describe(const BackboneConfig& c) {
  std::ostringstream s;
  switch (c.kind) {
    case BackboneKind::Flex: return describe(c.flex);
    case BackboneKind::UNet: {
      const auto& u = c.unet;
      s << "unet " << space_name(u.space) << " tasks=" << task_set_name(c.flex.tasks) << " channels=" << join(u.channels)
        << " blocks=" << u.blocks << " attention_levels=" << (u.attention_levels.empty() ? "none" : join(u.attention_levels))
        << " heads=" << u.heads << " dropout=" << u.dropout;
      break;
    }
    case BackboneKind::UViT: {
      const auto& u = c.uvit;
      s << "uvit residual tasks=" << task_set_name(c.flex.tasks) << " img=" << u.img << " patch=" << u.patch
        << " width=" << u.width << " depth=" << u.depth << " heads=" << u.heads << " tokens=" << u.tokens();
      break;
    }
  }
  return s.str();
}

}  // namespace flex::model
