#include "flex/infer/command.hpp"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "flex/app/command.hpp"
#include "flex/app/runtime.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/dataset.hpp"
#include "flex/data/transforms.hpp"
#include "flex/diffusion/sampler.hpp"
#include "flex/infer/field_inference.hpp"
#include "flex/infer/outputs.hpp"
#include "flex/infer/sampling.hpp"
#include "flex/io/fields.hpp"
#include "flex/model/config.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/state_dict.hpp"

namespace flex {

void declare_infer_keys(DeckSchema& s) {
  s.add_choice("infer.task", "sr", {"sr", "fc"}, "super-resolution (sr) or autoregressive forecasting (fc)");
  s.add_path("infer.input", "", "field file to start from (high-res truth, e.g. `flex dns` output)");
  s.add_string("infer.dataset", "", "dataset in infer.input (empty: `fields`, else `w`)");
  s.add_int("infer.channel", 2, "channel of infer.input to predict (2: vorticity of u,v,w files)").range(0, {});
  s.add_bool("infer.lowres_input", false,
             "sr: infer.input already holds the low-res field (no truth); false: subsample the truth");
  s.add_string("infer.snapshots", "all",
               "sr: snapshots to super-resolve (all | even | odd | a:b[:s],...); fc: the list rollouts step through");
  s.add_int("infer.start", 1, "fc: position in the snapshot list of the last known frame").range(1, {});
  s.add_int("infer.rollout", 10, "fc: autoregressive steps").range(1, {});
  s.add_int("infer.horizon", 1, "fc: positions in the snapshot list per step (as trained)").range(1, {});
  s.add_int("infer.factor", 8, "sr: subsampling factor (every factor-th point)").range(1, 64);
  s.add_path("infer.checkpoint", "", "weights in the reference state-dict format (e.g. `flex train`'s EMA export)");
  s.add_int("infer.halo", -1, "patch overlap on each side in pixels (-1: patch/8)").range(-1, {});
  s.add_choice("infer.boundary", "periodic", {"periodic", "reflect"}, "how patches extend past the field edge");
  s.add_int("infer.batch", 4, "patches per network call").range(1, 4096);
  s.add_int("infer.members", 1, "ensemble members (different noise); mean = prediction, std = uncertainty")
      .range(1, 1024);
  s.add_int("infer.steps", 2, "DDIM sampling steps").range(1, 1000);
  s.add_choice("infer.parameterisation", "v", {"v", "eps", "x"}, "what the network was trained to predict");
  s.add_real("infer.norm_std", 5.4574137, "fields are divided by it before the network (SPEC §3)").range(1e-12, {});
  s.add_real("infer.re", 0.0, "Reynolds number for conditioning (0: the file's `Re` attribute)").range(0, {});
  s.add_choice("infer.re_scaling", "log10", {"log10", "linear"}, "Reynolds conditioning scale, as trained");
  s.add_path("infer.output", "prediction.h5", "prediction file (relative paths under run.output_dir)");
  model::declare_model_keys(s);
  model::declare_backbone_keys(s);
}

namespace {

using InferSetup = infer::Sampling;

std::string output_path(const Deck& deck) {
  std::filesystem::path p(deck.get_string("infer.output"));
  return p.is_absolute() ? p.string() : (std::filesystem::path(deck.get_string("run.output_dir")) / p).string();
}

at::Tensor read_plane(const io::FieldReader& reader, long n, long channel) {
  const auto s = reader.shape();
  auto plane = torch::empty({s.h, s.w}, torch::kFloat32);
  reader.read(io::Hyperslab{n, 1, channel, 1, 0, s.h, 0, s.w}, plane.data_ptr<float>());
  return plane;
}

int run_super_resolution(const RunContext& ctx, InferSetup& st, const io::FieldReader& reader,
                         const std::vector<std::int64_t>& snapshots, const decomp::Tiling& tiling, double norm,
                         const infer::OutputSpec& out_spec) {
  const auto& deck = ctx.deck;
  const auto channel = deck.get_int("infer.channel");
  const auto factor = deck.get_int("infer.factor");
  const bool lowres = deck.get_bool("infer.lowres_input");
  infer::InferenceOutputs out(out_spec, ctx.env.comm());
  const auto predict = infer::flex_predictor(st, Task::SuperResolution, 0);
  double rfne_sum = 0;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = snapshots[i];
    const auto plane = read_plane(reader, n, channel) / norm;
    const auto truth = lowres ? at::Tensor() : plane;
    const auto coarse = lowres ? plane : data::subsample(plane, factor);
    const auto sr = infer::super_resolve(coarse, factor, tiling, predict, deck.get_int("infer.batch"),
                                         static_cast<std::int64_t>(n) * tiling.count(), ctx.env.comm());
    const auto& field = sr.prediction;
    out.write(static_cast<long>(i), field.mean * norm, field.members * norm,
              truth.defined() ? truth * norm : at::Tensor());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log::Fields line{{"snapshot", double(n)}, {"s_per_field", seconds}};
    if (truth.defined()) {
      const double e = infer::rfne(field.mean, truth);
      rfne_sum += e;
      line.push_back({"rfne", e});
      line.push_back({"rfne_bicubic", infer::rfne(sr.upsampled, truth)});
    }
    log::progress("infer", static_cast<long>(i + 1), line);
  }
  out.set_attribute("snapshots", std::vector<double>(snapshots.begin(), snapshots.end()));
  out.set_attribute("task", std::string("sr"));
  out.set_attribute("deck", deck.resolved_text());
  out.close();
  if (!lowres) log::info("infer: mean RFNE over ", snapshots.size(), " fields ", rfne_sum / snapshots.size());
  return 0;
}

int run_forecast(const RunContext& ctx, InferSetup& st, const io::FieldReader& reader,
                 const std::vector<std::int64_t>& snapshots, const decomp::Tiling& tiling, double norm,
                 infer::OutputSpec out_spec) {
  const auto& deck = ctx.deck;
  const auto channel = deck.get_int("infer.channel");
  const auto h = deck.get_int("infer.horizon");
  const auto start = deck.get_int("infer.start");
  const auto steps = deck.get_int("infer.rollout");
  const auto n_pos = static_cast<std::int64_t>(snapshots.size());
  FLEX_REQUIRE(start - h >= 0 && start < n_pos,
               deck.source() << ": key 'infer.start' = " << start << " needs positions start-horizon >= 0 and start < "
                             << n_pos << " (the snapshot list's length)");
  // Truth exists for the steps whose target lies inside the snapshot list.
  const std::int64_t known = std::min<std::int64_t>(steps, (n_pos - 1 - start) / h);
  out_spec.with_truth = known == steps;
  if (!out_spec.with_truth)
    log::warn("infer: only ", known, " of ", steps, " rollout steps have a reference snapshot; no truth file written");

  // Each member rolls out its own trajectory: members' fields per step.
  std::vector<at::Tensor> step_members(static_cast<size_t>(steps));
  for (std::int64_t m = 0; m < st.members; ++m) {
    auto prev = read_plane(reader, snapshots[static_cast<size_t>(start - h)], channel) / norm;
    auto last = read_plane(reader, snapshots[static_cast<size_t>(start)], channel) / norm;
    const auto predict = infer::flex_predictor(st, Task::Forecast, m);
    for (std::int64_t k = 0; k < steps; ++k) {
      const auto frames = torch::stack({prev, last});  // oldest first
      const auto field = infer::predict_field(frames, last.unsqueeze(0), tiling, predict, deck.get_int("infer.batch"),
                                              k * tiling.count(), ctx.env.comm());
      auto next = field.members[0];
      step_members[static_cast<size_t>(k)] =
          m == 0 ? next.unsqueeze(0) : torch::cat({step_members[static_cast<size_t>(k)], next.unsqueeze(0)});
      prev = last, last = next;
    }
  }
  infer::InferenceOutputs out(out_spec, ctx.env.comm());
  std::vector<double> targets;
  for (std::int64_t k = 0; k < steps; ++k) {
    const auto& members = step_members[static_cast<size_t>(k)];
    const auto mean = members.mean(0);
    at::Tensor truth;
    log::Fields line{{"lead", double(k + 1)}};
    if (out_spec.with_truth) {
      const auto target = snapshots[static_cast<size_t>(start + (k + 1) * h)];
      targets.push_back(static_cast<double>(target));
      truth = read_plane(reader, target, channel) / norm;
      line.push_back({"rfne", infer::rfne(mean, truth)});
      line.push_back({"pcc", torch::corrcoef(torch::stack({mean.flatten(), truth.flatten()}))[0][1].item<double>()});
    }
    out.write(static_cast<long>(k), mean * norm, members * norm, truth.defined() ? truth * norm : at::Tensor());
    log::progress("infer", k + 1, line);
  }
  out.set_attribute("task", std::string("fc"));
  out.set_attribute("start_snapshot", static_cast<double>(snapshots[static_cast<size_t>(start)]));
  if (!targets.empty()) out.set_attribute("snapshots", targets);
  out.set_attribute("deck", deck.resolved_text());
  out.close();
  return 0;
}

}  // namespace

int run_infer(const RunContext& ctx) {
  FLEX_PROFILE("infer");
  const auto& deck = ctx.deck;
  const bool sr = deck.get_string("infer.task") == "sr";
  const auto input = deck.get_string("infer.input");
  FLEX_REQUIRE(!input.empty(), deck.source() << ": key 'infer.input' is required (a field file)");
  const auto device = configure_runtime(ctx);
  io::FieldReader reader(input, ctx.env.comm(), deck.get_string("infer.dataset"));
  const auto shape = reader.shape();
  FLEX_REQUIRE(deck.get_int("infer.channel") < shape.c,
               deck.source() << ": key 'infer.channel' = " << deck.get_int("infer.channel") << " but " << input
                             << " has " << shape.c << " channel(s)");
  InferSetup st = infer::sampling_from_deck(deck, device, sr ? Task::SuperResolution : Task::Forecast,
                                            infer::reynolds_of(deck, reader));
  const auto& config = st.config.flex;
  const auto factor = deck.get_int("infer.factor");
  const bool lowres = sr && deck.get_bool("infer.lowres_input");
  const long H = lowres ? shape.h * factor : shape.h, W = lowres ? shape.w * factor : shape.w;
  FLEX_REQUIRE(!sr || lowres || (shape.h % factor == 0 && shape.w % factor == 0),
               input << ": field " << shape.h << "x" << shape.w << " is not divisible by infer.factor = " << factor);
  const long halo = deck.get_int("infer.halo") < 0 ? config.img / 8 : deck.get_int("infer.halo");
  const decomp::Tiling tiling({H, W, config.img, halo,
                               deck.get_string("infer.boundary") == "periodic" ? decomp::Boundary::Periodic
                                                                               : decomp::Boundary::Reflect});
  const auto snapshots = data::select_snapshots(deck.get_string("infer.snapshots"), shape.n,
                                                deck.source() + ": key 'infer.snapshots'");
  FLEX_REQUIRE(!snapshots.empty(), deck.source() << ": key 'infer.snapshots' selects no snapshot of " << input);

  infer::OutputSpec out_spec;
  out_spec.path = output_path(deck);
  out_spec.snapshots = sr ? static_cast<long>(snapshots.size()) : deck.get_int("infer.rollout");
  out_spec.height = H, out_spec.width = W, out_spec.members = st.members;
  out_spec.with_truth = sr && !lowres;
  out_spec.overwrite = deck.get_bool("run.overwrite");
  out_spec.dx = 2 * M_PI / static_cast<double>(H);
  log::info("infer: ", sr ? "super-resolution x" + std::to_string(factor) : std::string("forecast"), " of ", input,
            " (", H, "x", W, ") with ", model::describe(st.config), "; ", tiling.count(), " patches of ", config.img,
            "^2, halo ", halo, ", ", st.members, " member(s), ", st.sampler.steps, " DDIM steps, ", ctx.env.size(),
            " rank(s)");
  const int rc = sr ? run_super_resolution(ctx, st, reader, snapshots, tiling, deck.get_real("infer.norm_std"), out_spec)
                    : run_forecast(ctx, st, reader, snapshots, tiling, deck.get_real("infer.norm_std"), out_spec);
  if (ctx.env.is_root())
    output::write_text_atomic(output::sidecar(out_spec.path, ".deck.ini"), deck.resolved_text());
  log::info("infer: wrote ", out_spec.path);
  return rc;
}

}  // namespace flex
