#include "flex/diffusion/parity.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/diffusion/sampler.hpp"
#include "flex/io/fields.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/state_dict.hpp"

namespace flex::diffusion {

namespace {

torch::Tensor read_tensor(const std::string& path, const std::string& name) {
  auto a = io::read_array(path, name);
  std::vector<std::int64_t> shape(a.shape.begin(), a.shape.end());
  return torch::from_blob(a.data.data(), shape, torch::kFloat32).clone();
}

std::vector<std::int64_t> int_attribute(const std::string& path, const std::string& name) {
  std::vector<std::int64_t> out;
  for (double v : io::read_attribute_doubles(path, "/", name)) {
    FLEX_REQUIRE(v == static_cast<double>(static_cast<std::int64_t>(v)),
                 path << ": attribute '" << name << "' must hold integers");
    out.push_back(static_cast<std::int64_t>(v));
  }
  return out;
}

std::int64_t int_scalar(const std::string& path, const std::string& name) {
  const auto v = int_attribute(path, name);
  FLEX_REQUIRE(v.size() == 1, path << ": attribute '" << name << "' must be a scalar");
  return v[0];
}

ParityItem compare(const std::string& name, const torch::Tensor& ours, const torch::Tensor& ref) {
  FLEX_CHECK(ours.sizes() == ref.sizes(), name << ": shape " << ours.sizes() << " vs reference " << ref.sizes());
  const auto o = ours.detach().to(torch::kCPU, torch::kFloat64);
  const auto r = ref.to(torch::kFloat64);
  return {name, (o - r).abs().max().item<double>(), r.numel() > 1 ? r.std().item<double>() : r.abs().item<double>()};
}

}  // namespace

bool ParityResult::passed() const {
  if (items.empty()) return false;
  for (const auto& i : items)
    if (!(i.relative() <= tolerance)) return false;
  return true;
}

model::FlexConfig fixture_config(const std::string& f) {
  for (const char* d : {"z_t", "t", "Re", "lowres"})
    FLEX_REQUIRE(io::has_dataset(f, d), f << ": parity fixture lacks dataset '" << d << "'");
  model::FlexConfig c = model::flex_config_for_size("tiny");
  c.size = "fixture";
  c.img = int_scalar(f, "img");
  c.channels = int_attribute(f, "channels");
  c.blocks = int_attribute(f, "blocks");
  c.depth = int_scalar(f, "depth");
  c.heads = int_scalar(f, "heads");
  c.dropout = 0.1;  // inactive in eval mode; kept as in the reference
  const auto z = io::read_array(f, "z_t"), low = io::read_array(f, "lowres"), re = io::read_array(f, "Re");
  FLEX_REQUIRE(z.shape.size() == 4 && low.shape.size() == 4 && re.shape.size() == 2,
               f << ": z_t and lowres must be [B, C, H, W] and Re [B, n]");
  c.out_channels = z.shape[1];
  c.in_channels = low.shape[1];
  c.n_cond_scalars = re.shape[1];
  const bool fc = io::has_dataset(f, "frames");
  if (fc) {
    const auto frames = io::read_array(f, "frames");
    FLEX_REQUIRE(frames.shape.size() == 4 && frames.shape[1] % c.in_channels == 0,
                 f << ": frames must be [B, frames * in_channels, H, W]");
    c.cond_frames = frames.shape[1] / c.in_channels;
  }
  c.tasks = fc ? model::TaskSet::Multitask : model::TaskSet::SuperResolution;
  c.validate(f);
  return c;
}

ParityResult run_parity(const std::string& checkpoint, const std::string& f, const c10::Device& device,
                        model::Precision precision, model::MemoryLayout layout) {
  ParityResult result;
  result.config = fixture_config(f);
  result.tolerance = precision == model::Precision::FP32 ? kFp32Tolerance : kReducedPrecisionTolerance;
  auto net = model::Flex(result.config);
  model::load_checkpoint(*net, checkpoint, /*strict=*/true);
  net->to(device);
  model::apply_memory_layout(*net, layout);
  net->eval();
  torch::NoGradGuard no_grad;
  const auto on = device.type();

  auto in = [&](const char* name) { return read_tensor(f, name).to(device); };
  const auto z = in("z_t"), t = in("t"), re = in("Re"), low = in("lowres");
  if (io::has_dataset(f, "v_sr")) {
    const auto v = model::in_precision(precision, on, [&] { return net->forward(z, t, re, Task::SuperResolution, low); });
    result.items.push_back(compare("v_sr", v, in("v_sr")));
  }
  if (io::has_dataset(f, "v_fc")) {
    const auto v = model::in_precision(precision, on, [&] { return net->forward(z, t, re, Task::Forecast, in("frames")); });
    result.items.push_back(compare("v_fc", v, in("v_fc")));
  }
  if (io::has_dataset(f, "sample_sr_2steps")) {
    SamplerOptions opts;  // 2 steps, v, shift 1: the fixture's settings
    model::AutocastScope scope(precision, on);
    const auto network = net->denoiser(Task::SuperResolution, low, re);
    const auto field = sample([&](const at::Tensor& x, const at::Tensor& s) { return network(x, s).to(at::kFloat); },
                              in("noise"), low, opts);
    result.items.push_back(compare("sample_sr_2steps", field, in("sample_sr_2steps")));
  }
  // The schedule and the noising the training loss uses, at the fixture's t.
  const Schedule schedule;
  const auto levels = noise_levels(schedule, t);
  if (io::has_dataset(f, "logsnr")) result.items.push_back(compare("logsnr", levels.logsnr.flatten(), in("logsnr")));
  if (io::has_dataset(f, "alpha")) result.items.push_back(compare("alpha", levels.alpha.flatten(), in("alpha")));
  if (io::has_dataset(f, "sigma")) result.items.push_back(compare("sigma", levels.sigma.flatten(), in("sigma")));
  if (io::has_dataset(f, "r") && io::has_dataset(f, "eps")) {
    const auto noised = add_noise(in("r"), {t, in("eps")}, schedule, Parameterisation::V);
    if (io::has_dataset(f, "z_from_r")) result.items.push_back(compare("z_from_r", noised.z_t, in("z_from_r")));
    if (io::has_dataset(f, "v_target")) result.items.push_back(compare("v_target", noised.target, in("v_target")));
  }
  return result;
}

}  // namespace flex::diffusion
