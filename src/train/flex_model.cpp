#include "flex/train/flex_model.hpp"

#include <torch/torch.h>

#include "flex/core/seed.hpp"
#include "flex/data/transforms.hpp"
#include "flex/diffusion/sampler.hpp"

namespace flex::train {

at::Tensor symmetric_infonce(const at::Tensor& a, const at::Tensor& b, double temperature) {
  auto fa = torch::nn::functional::normalize(a.mean({2, 3}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto fb = torch::nn::functional::normalize(b.mean({2, 3}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto logits = torch::matmul(fa, fb.t()) / temperature;
  auto labels = torch::arange(a.size(0), torch::TensorOptions().dtype(torch::kLong).device(a.device()));
  return 0.5 * (torch::cross_entropy_loss(logits, labels) + torch::cross_entropy_loss(logits.t(), labels));
}

namespace {

class FlexTrainModel : public TrainModel {
 public:
  FlexTrainModel(model::Backbone net, c10::Device device, FlexTrainOptions o)
      : net_(std::move(net)), flex_(net_.flex()), device_(device), o_(o) {}
  torch::nn::Module& module() override { return *net_.module; }

  at::Tensor loss(const data::Batch& b, std::uint64_t seed) override {
    std::vector<std::uint64_t> seeds;
    for (auto i : b.indices) seeds.push_back(derive_seed(seed, Stream::kDiffusionNoise, {static_cast<std::uint64_t>(i)}));
    auto input = b.input.to(device_), cond = b.cond.to(device_);
    // What the backbone diffuses: the residual, or the whole field (raw space).
    auto residual = model::diffusion_target(net_, b.base.to(device_), b.residual.to(device_));
    auto draw = diffusion::draw_noise(residual, seeds);
    auto noised = diffusion::add_noise(residual, draw, o_.schedule, o_.loss.param);
    const Task task = b.task;
    const bool contrastive = o_.infonce_weight > 0 && flex_ && b.task == Task::Forecast &&
                             flex_->has_task(Task::SuperResolution) && b.size() > 1;
    if (!contrastive) return diffusion::diffusion_loss(net_(noised.z_t, draw.t.to(device_), cond, task, input), noised, o_.loss);
    auto out = flex_->forward_with_features(noised.z_t, draw.t.to(device_), cond, task, input);
    at::Tensor l = diffusion::diffusion_loss(out.v, noised, o_.loss);
    // The positive pair: the frames' forecast features and the SR encoder's
    // features of the latest frame's bicubic conditioning (patch taken as periodic).
    auto latest = input.narrow(1, input.size(1) - 1, 1);
    auto up = data::upsample_bicubic_periodic(data::subsample(latest, o_.sr_factor), o_.sr_factor);
    auto sr = flex_->encode_task(Task::SuperResolution, up, cond).bottleneck;
    return l + o_.infonce_weight * symmetric_infonce(out.bottleneck, sr, o_.infonce_temperature);
  }

  at::Tensor predict_residual(const data::Batch& b, std::uint64_t seed) override {
    auto input = b.input.to(device_), cond = b.cond.to(device_);
    auto denoise = net_.denoiser(b.task, input, cond);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto noise = torch::randn(b.residual.sizes(), gen, torch::kFloat).to(device_);
    diffusion::SamplerOptions so;
    so.steps = o_.sample_steps;
    so.param = o_.loss.param;
    so.schedule = o_.schedule;
    auto estimate = diffusion::ddim_residual(denoise, noise, so);
    return model::data_residual(net_, b.base.to(device_), estimate).cpu();
  }

 private:
  model::Backbone net_;
  std::shared_ptr<model::FlexImpl> flex_;  // null for a baseline
  c10::Device device_;
  FlexTrainOptions o_;
};

}  // namespace

std::unique_ptr<TrainModel> make_flex_train_model(model::Backbone net, c10::Device device, FlexTrainOptions options) {
  return std::make_unique<FlexTrainModel>(std::move(net), device, options);
}

}  // namespace flex::train
