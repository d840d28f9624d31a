#include "flex/train/flex_model.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
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
    auto input = on_device(b.input), cond = on_device(b.cond);
    // What the backbone diffuses: the residual, or the whole field (raw space).
    auto residual = model::diffusion_target(net_, on_device(b.base), on_device(b.residual));
    auto draw = diffusion::draw_noise(residual, sample_seeds(b, seed));
    auto noised = diffusion::add_noise(residual, draw, o_.schedule, o_.loss.param);
    const Task task = b.task;
    const auto t = on_device(draw.t);
    if (!contrastive(b)) {
      const auto v = network([&] { return net_(noised.z_t, t, cond, task, input); });
      return diffusion::diffusion_loss(v, noised, o_.loss);
    }
    at::Tensor bottleneck;
    const auto v = network([&] {
      auto out = flex_->forward_with_features(noised.z_t, t, cond, task, input);
      bottleneck = out.bottleneck.to(at::kFloat);
      return out.v;
    });
    return diffusion::diffusion_loss(v, noised, o_.loss) + infonce_term(bottleneck, input, cond);
  }

  // SPEC §4 (ref): one forward of the shared network over [SR; FC], pair i of
  // the halves at the same t and eps, the task encoders each on their half.
  std::vector<at::Tensor> joint_loss(const std::vector<data::Batch>& batches, std::uint64_t seed) override {
    if (!flex_ || batches.size() != 2) return TrainModel::joint_loss(batches, seed);
    const data::Batch& sr = batches[0];
    const data::Batch& fc = batches[1];
    FLEX_CHECK(sr.task == Task::SuperResolution && fc.task == Task::Forecast && sr.size() == fc.size(),
               "joint update: expected equal SR and FC batches, got " << task_name(sr.task) << " x " << sr.size()
                                                                      << ", " << task_name(fc.task) << " x "
                                                                      << fc.size());
    const std::int64_t n = sr.size();
    auto in_sr = on_device(sr.input), cond_sr = on_device(sr.cond);
    auto in_fc = on_device(fc.input), cond_fc = on_device(fc.cond);
    auto res_sr = model::diffusion_target(net_, on_device(sr.base), on_device(sr.residual));
    auto res_fc = model::diffusion_target(net_, on_device(fc.base), on_device(fc.residual));
    // The pair's draw follows the SR sample, as loss() would draw it alone.
    auto half = diffusion::draw_noise(res_sr, sample_seeds(sr, seed));
    diffusion::NoiseDraw draw{torch::cat({half.t, half.t}), torch::cat({half.eps, half.eps})};
    auto noised = diffusion::add_noise(torch::cat({res_sr, res_fc}), draw, o_.schedule, o_.loss.param);
    at::Tensor fc_bottleneck;
    auto out = network([&] {
      auto f_sr = flex_->encode_task(Task::SuperResolution, in_sr, cond_sr);
      auto f_fc = flex_->encode_task(Task::Forecast, in_fc, cond_fc);
      fc_bottleneck = f_fc.bottleneck.to(at::kFloat);
      return flex_->denoise(noised.z_t, on_device(draw.t), torch::cat({cond_sr, cond_fc}), stack(f_sr, f_fc));
    });
    auto per_sample = diffusion::diffusion_loss_per_sample(out, noised, o_.loss);
    at::Tensor l_sr = per_sample.narrow(0, 0, n).mean(), l_fc = per_sample.narrow(0, n, n).mean();
    if (contrastive(fc)) l_fc = l_fc + infonce_term(fc_bottleneck, in_fc, cond_fc);
    return {l_sr, l_fc};
  }

  at::Tensor predict_residual(const data::Batch& b, std::uint64_t seed) override {
    auto input = on_device(b.input), cond = on_device(b.cond);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto noise = torch::randn(b.residual.sizes(), gen, torch::kFloat).to(device_);
    diffusion::SamplerOptions so;
    so.steps = o_.sample_steps;
    so.param = o_.loss.param;
    so.schedule = o_.schedule;
    // One autocast scope over the whole loop: the weights are cast once.
    model::AutocastScope scope(o_.precision, device_.type());
    auto denoise = net_.denoiser(b.task, input, cond);
    auto estimate = diffusion::ddim_residual(
        [&](const at::Tensor& z, const at::Tensor& t) { return denoise(z, t).to(at::kFloat); }, noise, so);
    return model::data_residual(net_, on_device(b.base), estimate).cpu();
  }

 private:
  // Per-sample draw seeds: a sample's t and eps never depend on its batch or rank.
  static std::vector<std::uint64_t> sample_seeds(const data::Batch& b, std::uint64_t seed) {
    std::vector<std::uint64_t> seeds;
    for (auto i : b.indices) seeds.push_back(derive_seed(seed, Stream::kDiffusionNoise, {static_cast<std::uint64_t>(i)}));
    return seeds;
  }

  bool contrastive(const data::Batch& b) const {
    return o_.infonce_weight > 0 && flex_ && b.task == Task::Forecast && flex_->has_task(Task::SuperResolution) &&
           b.size() > 1;
  }

  // The weighted InfoNCE of an FC batch. The positive pair: the frames'
  // forecast features and the SR encoder's features of the latest frame's
  // bicubic conditioning (patch taken as periodic).
  at::Tensor infonce_term(const at::Tensor& fc_bottleneck, const at::Tensor& input, const at::Tensor& cond) {
    auto latest = model::residual_base(flex_->config(), Task::Forecast, input);  // the latest frame's channels
    auto up = data::upsample_bicubic(data::subsample(latest, o_.sr_factor), o_.sr_factor, o_.sr_upsampling);
    auto sr = network([&] { return flex_->encode_task(Task::SuperResolution, up, cond).bottleneck; });
    return o_.infonce_weight * symmetric_infonce(fc_bottleneck, sr, o_.infonce_temperature);
  }

  // A batch tensor on the compute device. The loader pins batches bound for a
  // GPU, so the copy is asynchronous on the current stream and overlaps the
  // work queued before it; on the CPU it is the tensor itself.
  at::Tensor on_device(const at::Tensor& t) const {
    return t.to(t.options().device(device_), /*non_blocking=*/true);
  }

  // Network code in run.precision; its output back in fp32 for the loss.
  template <class F>
  at::Tensor network(F&& f) const {
    return model::in_precision(o_.precision, device_.type(), std::forward<F>(f));
  }

  // Two batches' task features as one batch [a; b], for one shared forward.
  static model::TaskFeatures stack(const model::TaskFeatures& a, const model::TaskFeatures& b) {
    auto cat = [](const at::Tensor& x, const at::Tensor& y) { return x.defined() ? torch::cat({x, y}) : x; };
    model::TaskFeatures f;
    f.bottleneck = cat(a.bottleneck, b.bottleneck);
    f.concat = cat(a.concat, b.concat);
    for (std::size_t i = 0; i < a.skips.size(); ++i) f.skips.push_back(cat(a.skips[i], b.skips[i]));
    return f;
  }

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
