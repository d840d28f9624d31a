#include "flex/infer/sampling.hpp"

#include <torch/torch.h>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/dataset.hpp"
#include "flex/data/transforms.hpp"
#include "flex/io/fields.hpp"
#include "flex/model/config.hpp"
#include "flex/model/state_dict.hpp"

namespace flex::infer {

Sampling sampling_from_deck(const Deck& deck, c10::Device device, Task task, double reynolds) {
  Sampling st;
  st.device = device;
  st.seed = static_cast<std::uint64_t>(deck.get_int("run.seed"));
  st.members = deck.get_int("infer.members");
  st.sampler.steps = deck.get_int("infer.steps");
  st.sampler.param = diffusion::parse_parameterisation(deck.get_string("infer.parameterisation"));
  const auto checkpoint = deck.get_string("infer.checkpoint");
  FLEX_REQUIRE(!checkpoint.empty(), deck.source() << ": key 'infer.checkpoint' is required (a .pt state dict)");
  st.config = model::backbone_config_from_deck(deck);
  const auto& config = st.config.flex;
  st.net = model::make_backbone(st.config, st.seed);
  FLEX_REQUIRE(st.net.has_task(task), deck.source() << ": the task is " << task_name(task) << " but "
                                                    << model::describe(st.config) << " cannot serve it (model.tasks)");
  model::load_checkpoint(*st.net.module, checkpoint);
  st.net.module->eval();
  st.net.module->to(device);
  data::SampleConfig sample;
  sample.re_scaling = deck.get_string("infer.re_scaling") == "log10" ? data::ReScaling::Log10 : data::ReScaling::Linear;
  st.cond = data::conditioning(sample, task, reynolds);
  FLEX_REQUIRE(static_cast<std::int64_t>(st.cond.size()) == config.n_cond_scalars,
               deck.source() << ": model.cond_scalars = " << config.n_cond_scalars << " but inference conditions on "
                             << st.cond.size() << " scalar(s)");
  return st;
}

double reynolds_of(const Deck& deck, const io::FieldReader& reader) {
  const double re = deck.get_real("infer.re");
  if (re > 0) return re;
  FLEX_REQUIRE(reader.has_attribute("Re"),
               reader.path() << ": no `Re` attribute; set infer.re to the Reynolds number for conditioning");
  return reader.attribute_double("Re");
}

PatchPredictor flex_predictor(const Sampling& st, Task task, std::int64_t member_offset) {
  // The module holder shares the network; the rest is copied into the closure.
  const auto seed = derive_seed(st.seed, Stream::kSamplerNoise, {static_cast<std::uint64_t>(member_offset)});
  return [net = st.net, device = st.device, cond_values = st.cond, members = st.members, sampler = st.sampler, task,
          seed](const at::Tensor& input, const at::Tensor& base, const std::vector<std::int64_t>& ids) mutable {
    torch::NoGradGuard no_grad;
    const auto B = input.size(0);
    auto cond = torch::tensor(cond_values).view({1, -1}).expand({B, -1}).contiguous().to(device);
    auto denoiser = net.denoiser(task, input.to(device), cond);
    // A raw-space backbone samples the whole field: its base is zero.
    return diffusion::sample_ensemble(denoiser, model::diffusion_base(net, base.to(device)), members, seed, ids,
                                      sampler);
  };
}

SrField super_resolve(const at::Tensor& coarse, std::int64_t factor, const decomp::Tiling& tiling,
                      const PatchPredictor& predict, std::int64_t batch, std::int64_t id_offset, MPI_Comm comm) {
  SrField out;
  const auto up = data::upsample_bicubic_periodic(coarse.unsqueeze(0), factor);  // [1, H, W]
  out.upsampled = up[0];
  out.prediction = predict_field(up, up, tiling, predict, batch, id_offset, comm);
  return out;
}

double rfne(const at::Tensor& pred, const at::Tensor& truth) {
  return ((pred - truth).norm() / truth.norm().clamp_min(1e-30)).item<double>();
}

}  // namespace flex::infer
