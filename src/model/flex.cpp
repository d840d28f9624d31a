#include "flex/model/flex.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"

namespace flex::model {

FlexImpl::FlexImpl(const FlexConfig& config) : config_(config) {
  config_.validate();
  using Role = EncoderImpl::Role;
  encoder_ = register_module("encoder", Encoder(config_, config_.encoder_input_channels(), Role::Shared));
  if (config_.uses_task_encoder()) {
    if (config_.has_sr())
      superres_encoder_ = register_module("superres_encoder", Encoder(config_, config_.in_channels, Role::Task));
    if (config_.has_fc())
      forecast_encoder_ =
          register_module("forecast_encoder", Encoder(config_, config_.fc_input_channels(), Role::Task));
  }
  decoder_ = register_module("decoder", Decoder(config_));
}

bool FlexImpl::has_task(Task task) const {
  return task == Task::SuperResolution ? config_.has_sr() : config_.has_fc();
}

Encoder& FlexImpl::task_encoder(Task task) {
  FLEX_REQUIRE(has_task(task), "this FLEX network (model.tasks = " << task_set_name(config_.tasks)
                                                                   << ") has no " << task_name(task) << " task");
  FLEX_CHECK(config_.uses_task_encoder(), "model.conditioning = concat has no task encoders");
  return task == Task::SuperResolution ? superres_encoder_ : forecast_encoder_;
}

void FlexImpl::check_inputs(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond) const {
  FLEX_CHECK(z_t.dim() == 4 && z_t.size(1) == config_.out_channels,
             "z_t must be [B, " << config_.out_channels << ", H, W], got " << z_t.sizes());
  FLEX_CHECK(t.dim() == 1 && t.size(0) == z_t.size(0), "t must be [B], got " << t.sizes());
  FLEX_CHECK(cond.dim() == 2 && cond.size(0) == z_t.size(0) && cond.size(1) == config_.n_cond_scalars,
             "cond must be [B, " << config_.n_cond_scalars << "], got " << cond.sizes());
}

TaskFeatures FlexImpl::encode_task(Task task, const torch::Tensor& task_input, const torch::Tensor& cond) {
  FLEX_REQUIRE(has_task(task), "this FLEX network (model.tasks = " << task_set_name(config_.tasks)
                                                                   << ") has no " << task_name(task) << " task");
  const auto want = task == Task::SuperResolution ? config_.in_channels : config_.fc_input_channels();
  FLEX_CHECK(task_input.dim() == 4 && task_input.size(1) == want,
             task_name(task) << " conditioning must have " << want << " channels, got " << task_input.sizes());
  if (!config_.uses_task_encoder()) {
    TaskFeatures f;
    f.concat = task_input;
    return f;
  }
  // Weak-only conditioning needs just the first weak_blocks() task blocks.
  const std::int64_t blocks = config_.strong ? -1 : config_.weak_blocks();
  return task_encoder(task)->encode(task_input, cond, blocks);
}

torch::Tensor FlexImpl::denoise(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                                const TaskFeatures& f) {
  check_inputs(z_t, t, cond);
  const auto& any = f.concat.defined() ? f.concat : (f.skips.empty() ? f.bottleneck : f.skips.front());
  FLEX_CHECK(any.defined() && z_t.size(0) % any.size(0) == 0,
             "task features for batch " << (any.defined() ? any.size(0) : 0) << " do not fit z_t batch "
                                        << z_t.size(0));
  const auto copies = z_t.size(0) / any.size(0);
  const TaskFeatures tiled = copies == 1 ? TaskFeatures() : f.tile(copies);
  const TaskFeatures& feats = copies == 1 ? f : tiled;

  const auto x = feats.concat.defined() ? torch::cat({z_t, feats.concat}, 1) : z_t;
  auto enc = encoder_(x, t, cond, feats.skips);
  const bool strong = config_.uses_task_encoder() && config_.strong;
  return decoder_(std::move(enc), strong ? &feats : nullptr, t, cond);
}

FlexOutput FlexImpl::forward_with_features(const torch::Tensor& z_t, const torch::Tensor& t,
                                           const torch::Tensor& cond, Task task, const torch::Tensor& task_input) {
  check_inputs(z_t, t, cond);
  const auto f = encode_task(task, task_input, cond);
  return {denoise(z_t, t, cond, f), f.bottleneck};
}

torch::Tensor FlexImpl::forward(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                                Task task, const torch::Tensor& task_input) {
  return forward_with_features(z_t, t, cond, task, task_input).v;
}

std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> FlexImpl::denoiser(
    Task task, const torch::Tensor& task_input, const torch::Tensor& cond) {
  return denoiser(encode_task(task, task_input, cond), cond);
}

std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> FlexImpl::denoiser(TaskFeatures task_features,
                                                                                           const torch::Tensor& cond) {
  auto features = std::make_shared<TaskFeatures>(std::move(task_features));
  auto self = std::static_pointer_cast<FlexImpl>(shared_from_this());
  return [self, features, cond](const torch::Tensor& z, const torch::Tensor& t) {
    FLEX_CHECK(!self->is_training(), "sampling runs the network in eval mode (dropout off): call eval() first");
    const auto copies = z.size(0) / cond.size(0);
    const auto c = copies == 1 ? cond : cond.repeat({copies, 1});
    return self->denoise(z, t, c, *features);
  };
}

std::vector<ResBlock> FlexImpl::resblocks() const {
  std::vector<ResBlock> r = encoder_->resblocks();
  for (const auto* e : {&superres_encoder_, &forecast_encoder_})
    if (*e) {
      const auto b = (*e)->resblocks();
      r.insert(r.end(), b.begin(), b.end());
    }
  const auto d = decoder_->resblocks();
  r.insert(r.end(), d.begin(), d.end());
  return r;
}

torch::Tensor residual_base(const FlexConfig& config, Task task, const torch::Tensor& task_input) {
  if (task == Task::SuperResolution) return task_input;
  return task_input.narrow(1, (config.cond_frames - 1) * config.in_channels, config.in_channels);
}

Flex build_flex(const FlexConfig& config, std::uint64_t seed) {
  torch::manual_seed(seed);
  return Flex(config);
}

std::int64_t count_parameters(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

std::vector<std::pair<std::string, std::int64_t>> count_parameters_by_child(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, std::int64_t>> r;
  for (const auto& child : module.named_children()) r.emplace_back(child.key(), count_parameters(*child.value()));
  return r;
}

}  // namespace flex::model
