#include "flex/infer/sampling.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/dataset.hpp"
#include "flex/data/transforms.hpp"
#include "flex/infer/config.hpp"
#include "flex/io/fields.hpp"
#include "flex/model/config.hpp"
#include "flex/model/state_dict.hpp"

namespace flex::infer {

Sampling make_sampling(const InferConfig& c, c10::Device device, Task task, double reynolds, MPI_Comm comm) {
  FLEX_REQUIRE(!c.checkpoint.empty(), c.about("infer.checkpoint") << " is required (a .pt state dict)");
  Sampling st;
  st.device = device;
  st.seed = c.run.seed;
  st.members = c.members;
  st.fusion = c.fusion;
  st.feature_cache_bytes = c.feature_cache_mb << 20;
  st.sampler.steps = c.steps;
  st.sampler.param = c.parameterisation;
  st.config = c.model;
  st.net = model::make_backbone(st.config, st.seed);
  FLEX_REQUIRE(st.net.has_task(task), c.about("model.tasks") << ": " << model::describe(st.config)
                                                             << " cannot serve the " << task_name(task) << " task");
  model::load_checkpoint(*st.net.module, c.checkpoint);
  st.net.module->eval();
  st.net.module->to(device);
  // The layout probe at the batch the predictor runs: patches x members per call.
  const auto compute =
      model::set_up_compute(*st.net.module, c.run, model::layout_probe(st.config, c.batch, device, false), comm);
  st.precision = compute.precision;
  st.memory_format = model::memory_layout_name(compute.layout.layout);
  data::SampleConfig sample;
  sample.re_scaling = c.re_scaling;
  st.cond = data::conditioning(sample, task, reynolds);
  // read_config checked model.cond_scalars against this count.
  FLEX_CHECK(static_cast<std::int64_t>(st.cond.size()) == st.config.flex.n_cond_scalars,
             "conditioning scalars " << st.cond.size() << " != model.cond_scalars " << st.config.flex.n_cond_scalars);
  return st;
}

double reynolds_of(const InferConfig& c, const io::FieldReader& reader) {
  if (c.re > 0) return c.re;
  FLEX_REQUIRE(reader.has_attribute("Re"), reader.path() << ": no `Re` attribute; set infer.re to the Reynolds number "
                                                            "for conditioning (" << c.about("infer.re") << " = 0)");
  return reader.attribute_double("Re");
}

namespace {

// The noise seed of the members from `member_offset` on: the rollouts of
// different members draw different noise.
std::uint64_t member_seed(const Sampling& st, std::int64_t member_offset) {
  return derive_seed(st.seed, Stream::kSamplerNoise, {static_cast<std::uint64_t>(member_offset)});
}

// The network on one batch of conditioning patches (the task encoder runs
// here, once), its output back in fp32 for the sampler. Call it inside the
// sampling's autocast scope.
model::BackboneDenoiser batch_network(const Sampling& st, Task task, const at::Tensor& input) {
  const auto B = input.size(0);
  const auto cond = torch::tensor(st.cond).view({1, -1}).expand({B, -1}).contiguous().to(st.device);
  auto network = st.net.denoiser(task, input.to(st.device), cond);
  return {[network](const at::Tensor& z, const at::Tensor& t) { return network(z, t).to(at::kFloat); },
          network.held_bytes};
}

}  // namespace

PatchPredictor flex_predictor(const Sampling& st, Task task, std::int64_t member_offset, std::int64_t members) {
  // The module holder shares the network; the rest is copied into the closure.
  const auto seed = member_seed(st, member_offset);
  if (members < 0) members = st.members;
  return [st, members, task, seed](const at::Tensor& input, const at::Tensor& base,
                                   const std::vector<std::int64_t>& ids) {
    torch::NoGradGuard no_grad;
    // One autocast scope over every member and step: the weights are cast once.
    model::AutocastScope autocast(st.precision, st.device.type());
    const auto denoiser = batch_network(st, task, input);
    // A raw-space backbone samples the whole field: its base is zero.
    return diffusion::sample_ensemble(denoiser, model::diffusion_base(st.net, base.to(st.device)), members, seed, ids,
                                      st.sampler);
  };
}

FusedPredictor fused_predictor(const Sampling& st, Task task, std::int64_t member_offset, std::int64_t members) {
  FusedPredictor f;
  f.seed = member_seed(st, member_offset);
  f.members = members < 0 ? st.members : members;
  f.steps = st.sampler.steps;
  f.keep_bytes = st.feature_cache_bytes;
  f.prepare = [st, task](const at::Tensor& input, const at::Tensor& base) {
    torch::NoGradGuard no_grad;
    model::AutocastScope autocast(st.precision, st.device.type());
    const auto network = batch_network(st, task, input);
    const auto added = model::diffusion_base(st.net, base.to(st.device));
    PreparedBatch p;
    p.held_bytes = network.held_bytes + static_cast<std::int64_t>(added.nbytes());
    p.step = [st, network, added](const at::Tensor& z, std::int64_t n) {
      torch::NoGradGuard no_grad;
      model::AutocastScope autocast(st.precision, st.device.type());
      const auto B = added.size(0);
      const auto t =
          torch::full({B}, static_cast<double>(n) / st.sampler.steps, torch::dtype(torch::kFloat32).device(st.device));
      std::vector<at::Tensor> out;
      for (std::int64_t k = 0; k < z.size(0) / B; ++k) {
        const auto zk = z.narrow(0, k * B, B).to(st.device);
        const auto next = diffusion::ddim_step(network(zk, t), zk, n, st.sampler);
        out.push_back(n == 1 ? next + added : next);
      }
      return torch::cat(out);
    };
    return p;
  };
  return f;
}

BlockPredictor block_predictor(const Sampling& st, Task task, const decomp::BlockDecomposition& d, std::int64_t batch,
                               std::int64_t member_offset, std::int64_t members) {
  if (st.fusion == Fusion::EveryStep) return fused_every_step(d, fused_predictor(st, task, member_offset, members), batch);
  return stitched_once(d, flex_predictor(st, task, member_offset, members), batch);
}

}  // namespace flex::infer
