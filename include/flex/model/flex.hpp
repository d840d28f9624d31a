// FLEX (SPEC §5): shared encoder with a latent transformer, one or two task
// encoders (super-resolution, forecasting), and a decoder with strong
// conditioning. Sub-networks are registered as `encoder`, `superres_encoder`,
// `forecast_encoder`, `decoder`, so named_parameters()/named_buffers() match
// the reference's state dict (tests/reference/*.tsv) name for name.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "flex/core/task.hpp"
#include "flex/model/config.hpp"
#include "flex/model/flex_parts.hpp"

namespace flex::model {

struct FlexOutput {
  torch::Tensor v;           // network output [B, out, H, W]
  torch::Tensor bottleneck;  // the task encoder's bottleneck [B, D, h, w] (undefined for concat)
};

class FlexImpl : public torch::nn::Module {
 public:
  explicit FlexImpl(const FlexConfig& config);

  // z_t [B, out, H, W]; t [B] in [0, 1]; cond [B, n_cond]; task_input: SR the
  // upsampled low-res field [B, in, H, W], FC the past frames [B, frames*in, H, W]
  // (oldest first). Returns the predicted v (or eps/x, per the training target).
  torch::Tensor forward(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond, Task task,
                        const torch::Tensor& task_input);
  // The same, also returning the task encoder's bottleneck (for the optional
  // InfoNCE loss between the two task encoders in multitask training).
  FlexOutput forward_with_features(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                                   Task task, const torch::Tensor& task_input);

  // The task-encoder half alone. It does not depend on z_t or t, so samplers
  // compute it once per conditioning field.
  TaskFeatures encode_task(Task task, const torch::Tensor& task_input, const torch::Tensor& cond);
  // The rest of the network given encode_task()'s features; their batch may
  // divide z_t's (k stacked copies, e.g. ensemble members), then they are tiled.
  torch::Tensor denoise(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                        const TaskFeatures& features);
  // A denoiser (z, t) -> network output for the sampler, conditioning fixed;
  // z may stack k copies of the conditioning batch. Task features computed once.
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> denoiser(Task task,
                                                                                     const torch::Tensor& task_input,
                                                                                     const torch::Tensor& cond);
  // The same from features already computed.
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> denoiser(TaskFeatures features,
                                                                                     const torch::Tensor& cond);

  const FlexConfig& config() const { return config_; }
  bool has_task(Task task) const;
  Encoder& encoder() { return encoder_; }
  Decoder& decoder() { return decoder_; }
  Encoder& task_encoder(Task task);  // error if the network lacks it (or uses concat)
  // Every ResBlock of every sub-network (tests perturb their zero-initialised convs).
  std::vector<ResBlock> resblocks() const;

 private:
  void check_inputs(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond) const;

  FlexConfig config_;
  Encoder encoder_{nullptr}, superres_encoder_{nullptr}, forecast_encoder_{nullptr};
  Decoder decoder_{nullptr};
};
TORCH_MODULE(Flex);

// The field a task's residual is measured against, which sampling adds back
// (SPEC §3): SR the upsampled low-res input itself, FC the last frame of
// task_input [B, frames*in, H, W].
torch::Tensor residual_base(const FlexConfig& config, Task task, const torch::Tensor& task_input);

// A network from `config`, its random initialisation drawn from `seed`
// (LibTorch's default generator is re-seeded).
Flex build_flex(const FlexConfig& config, std::uint64_t seed);

// Parameter counts (buffers excluded), total and per sub-network name.
std::int64_t count_parameters(const torch::nn::Module& module);
std::vector<std::pair<std::string, std::int64_t>> count_parameters_by_child(const torch::nn::Module& module);

}  // namespace flex::model
