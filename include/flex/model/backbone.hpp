// The diffusion network as the training loop and the samplers see it,
// whichever architecture it is (deck key model.backbone = flex | unet | uvit):
// a module (parameters, train()/eval(), to(device), checkpoints) plus FLEX's
// forward signature (z_t, t, cond, task, task_input) -> network output, and
// the space it diffuses in. The U-Net and U-ViT baselines are single-task
// and take the task input by concatenation (SPEC §5 baselines).
//
// Residual vs raw: a Space::Raw backbone diffuses the full field, so its
// "base" is zero: the trainer's target is x - diffusion_base(b, base) = x, and
// the sampler adds diffusion_base(b, base) = 0 back. The conditioning input
// (task_input) is the same in both spaces.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flex/model/compute.hpp"
#include "flex/model/config.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/unet.hpp"
#include "flex/model/uvit.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::model {

enum class BackboneKind { Flex, UNet, UViT };
BackboneKind parse_backbone_kind(const std::string& word);  // flex | unet | uvit; InputError names model.backbone
const char* backbone_name(BackboneKind k);

// Everything that builds a backbone. `flex` always holds the model.* keys (the
// data's channels, tasks, img, dropout); the baselines read those from it.
struct BackboneConfig {
  BackboneKind kind = BackboneKind::Flex;
  FlexConfig flex;
  UNetConfig unet;
  UViTConfig uvit;
};

// Baseline sizes per model.size (tiny | S | M), comparable in parameter count
// to FLEX of that size and to the paper's DM U-Net / DM U-ViT (Table 1).
// Channels, task and img are left at their defaults (filled from FlexConfig).
UNetConfig unet_config_for_size(const std::string& size);
UViTConfig uvit_config_for_size(const std::string& size);

// A baseline serves the one task of model.tasks; its conditioning field is
// that task's input (SR: the upsampled field, FC: the stacked past frames).
Task baseline_task(const FlexConfig& f, const std::string& where, BackboneKind kind);
std::int64_t task_channels(const FlexConfig& f, Task task);

// (z_t [B, C, H, W], t [B], cond [B, n_cond], task, task_input) -> [B, C, H, W].
using BackboneForward = std::function<torch::Tensor(const torch::Tensor& z_t, const torch::Tensor& t,
                                                    const torch::Tensor& cond, Task task,
                                                    const torch::Tensor& task_input)>;
// (z, t) -> network output with the conditioning fixed (the sampler's view); z
// may stack k copies of the conditioning batch along dimension 0. held_bytes:
// what it keeps between calls (FLEX's task features, a baseline's field), for
// samplers that decide whether to keep it across steps.
struct BackboneDenoiser {
  std::function<torch::Tensor(const torch::Tensor& z, const torch::Tensor& t)> run;
  std::int64_t held_bytes = 0;
  torch::Tensor operator()(const torch::Tensor& z, const torch::Tensor& t) const { return run(z, t); }
};

struct Backbone {
  BackboneKind kind = BackboneKind::Flex;
  Space space = Space::Residual;
  std::vector<Task> tasks;                    // the tasks it can serve
  std::shared_ptr<torch::nn::Module> module;  // parameters, train()/eval(), to(device), state dict
  BackboneForward forward;
  // The denoiser for one conditioning batch (FLEX runs its task encoder once here).
  std::function<BackboneDenoiser(Task task, const torch::Tensor& task_input, const torch::Tensor& cond)> denoiser;

  torch::Tensor operator()(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond, Task task,
                           const torch::Tensor& task_input) const {
    return forward(z_t, t, cond, task, task_input);
  }
  bool has_task(Task task) const;
  // The FLEX network (for its bottleneck features, checkpoint import), or
  // nullptr for a baseline.
  std::shared_ptr<FlexImpl> flex() const;
};

// What the diffusion variable is measured against: `base` for a residual
// backbone, zeros for a raw one. Sampler: field = sample(denoiser, noise,
// diffusion_base(b, base)).
at::Tensor diffusion_base(const Backbone& backbone, const at::Tensor& base);
// The variable the backbone diffuses, from the data's (base, residual):
// residual + base - diffusion_base(b, base) (the residual, or the full field).
at::Tensor diffusion_target(const Backbone& backbone, const at::Tensor& base, const at::Tensor& residual);
// Back to the data's residual from an estimate of that variable (validation
// metrics on residuals): estimate + diffusion_base(b, base) - base.
at::Tensor data_residual(const Backbone& backbone, const at::Tensor& base, const at::Tensor& estimate);

// model.backbone and the unet.* / uvit.* keys (model.* are declare_model_keys').
void declare_backbone_keys(DeckSchema& schema);
// model.* through model_config_from_deck, then the chosen baseline's keys over
// its size defaults; validated, errors naming the key and the deck.
BackboneConfig backbone_config_from_deck(const Deck& deck);

// The network, its random initialisation drawn from `seed` (LibTorch's
// default generator is re-seeded, as build_flex does).
Backbone make_backbone(const BackboneConfig& config, std::uint64_t seed);
Backbone make_backbone(const Deck& deck, std::uint64_t seed);

// The layer run.memory_format = auto times for this network (its first
// resolution level's width at its patch size), at `batch` samples.
LayoutProbe layout_probe(const BackboneConfig& c, std::int64_t batch, c10::Device device, bool training);

// One line for logs: "unet residual task=sr channels=... blocks=... attention=... heads=...".
std::string describe(const BackboneConfig& c);

}  // namespace flex::model
