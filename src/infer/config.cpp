#include "flex/infer/config.hpp"

#include <algorithm>
#include <cstdio>

#include <filesystem>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/model/config.hpp"

namespace flex::infer {

void declare_keys(DeckSchema& s) {
  s.add_choice("infer.task", "sr", {"sr", "fc"}, "super-resolution (sr) or autoregressive forecasting (fc)");
  s.add_path("infer.input", "", "field file to start from (high-res truth, e.g. `flex dns` output)");
  io::declare_layout_keys(s, "infer.", "infer.input");
  s.add_string("infer.channel", "auto",
               "channel(s) of infer.input to predict: auto (the checkpoint's, else the vorticity), all, or a comma "
               "list of indices or names (2, t2m, u,v); as many as model.in_channels");
  s.add_bool("infer.lowres_input", false,
             "sr: infer.input already holds the low-res field (no truth); false: subsample the truth");
  s.add_string("infer.snapshots", "all",
               "sr: snapshots to super-resolve (all | even | odd | a:b[:s],...); fc: not used (refused if set)");
  s.add_int("infer.start", 1, "fc: raw snapshot index t0 of the last known frame (frames t0 - horizon and t0 are known)")
      .range(1, {});
  s.add_int("infer.rollout", 10, "fc: autoregressive steps (leads)").range(1, {});
  s.add_int("infer.horizon", 1, "fc: step in raw snapshots, as trained (the authors': 1); lead k is t0 + k*horizon")
      .range(1, {});
  s.add_choice("infer.restart", "auto", {"auto", "none"},
               "fc: auto continues an earlier run of this same forecast cut short in infer.output from its last "
               "complete lead (unless run.overwrite = true); none starts over");
  s.add_choice("infer.feedback", "mean", {"mean", "member"},
               "fc: fed back at each lead: the ensemble mean to every member (the authors'), or each member its own");
  s.add_int("infer.factor", 8, "sr: subsampling factor (every factor-th point), as trained").range(1, 64);
  s.add_choice("infer.sr_upsampling", "shifted", {"shifted", "aligned"},
               "sr: the bicubic conditioning, as trained (data.sr_upsampling): shifted (the authors') or aligned");
  s.add_path("infer.checkpoint", "", "weights in the reference state-dict format (e.g. `flex train`'s EMA export)");
  s.add_int("infer.halo", -1, "minimum patch overlap on each side in pixels (-1: patch/32, at least 1: the smallest measured to leave no seam, doc/decomp.md)").range(-1, {});
  s.add_choice("infer.fusion", "once", {"once", "every_step"},
               "how overlapping patches are blended: once, after each patch's whole DDIM chain; every_step, the "
               "states after every DDIM step from one noise field (multi-diffusion), so neighbours agree on the "
               "noisy state");
  s.add_int("infer.feature_cache_mb", 2048,
            "every_step: MiB per rank of task features kept between DDIM steps, so the encoder runs once per batch; "
            "batches beyond it rerun the encoder every step (0: always)")
      .range(0, {});
  s.add_string("infer.boundary", "auto",
               "how patches extend past the field edge: periodic, reflect, or <rows>,<cols> (e.g. reflect,periodic); "
               "auto: the input format's (periodic; pdebench reflect; era5 reflect,periodic)");
  s.add_string("infer.decomposition", "auto",
               "the grid of blocks over the ranks, <rows>x<cols> (their product the rank count); auto: "
               "MPI_Dims_create's near-square one (doc/decomp.md)");
  s.add_int("infer.batch", 4, "patches per network call").range(1, 4096);
  s.add_int("infer.members", 1, "ensemble members (different noise); mean = prediction, std = uncertainty")
      .range(1, 1024);
  s.add_int("infer.steps", 2, "DDIM sampling steps").range(1, 1000);
  s.add_choice("infer.parameterisation", "v", {"v", "eps", "x"}, "what the network was trained to predict");
  s.add_reals("infer.norm_mean", "0",
              "subtracted from fields before the network, as trained (data.norm_mean): one value, or one per channel");
  s.add_reals("infer.norm_std", "5.4574137",
              "fields are divided by it before the network (SPEC §3): one value, or one per channel; a value that "
              "differs from the checkpoint's is a zero-shot override")
      .range(1e-12, {});
  s.add_real("infer.re", 0.0, "Reynolds number for conditioning (0: the file's `Re` attribute)").range(0, {});
  s.add_choice("infer.re_scaling", "ref", {"ref", "log10", "linear"},
               "Reynolds conditioning scalar, as trained: ref = Re / 40000 (the authors'), log10(Re) - 4, or Re / 10^4");
  s.add_path("infer.output", "prediction.h5", "prediction file (relative paths under run.output_dir)");
  model::declare_model_keys(s);
  model::declare_backbone_keys(s);
}

decomp::Boundaries InferConfig::boundaries_for(io::Format f) const {
  if (boundary) return *boundary;
  const auto p = io::periodicity_of(f);
  const auto axis = [](bool periodic) { return periodic ? decomp::Boundary::Periodic : decomp::Boundary::Reflect; };
  return {axis(p.rows), axis(p.cols)};
}

std::vector<std::string> InferConfig::missing_inputs() const {
  std::vector<std::string> out;
  if (input.empty()) out.push_back("infer.input");
  if (checkpoint.empty()) out.push_back("infer.checkpoint");
  return out;
}

void InferConfig::require_inputs() const {
  FLEX_REQUIRE(!input.empty(), about("infer.input") << " is required (a field file)");
  FLEX_REQUIRE(!checkpoint.empty(), about("infer.checkpoint") << " is required (a .pt state dict)");
}

InferConfig read_config(const Deck& given) {
  namespace fs = std::filesystem;
  const Deck deck = with_checkpoint_settings(given);
  InferConfig c;
  c.run = read_run_settings(deck);

  c.model = model::backbone_config_from_deck(deck);
  c.task = deck.get_string("infer.task") == "sr" ? Task::SuperResolution : Task::Forecast;
  c.input = deck.get_string("infer.input");
  FLEX_REQUIRE(c.input.empty() || fs::exists(c.input), c.about("infer.input") << " = " << c.input
                                                                              << " does not exist");
  c.layout = io::read_layout(deck, "infer.");
  c.channels = deck.get_string("infer.channel");
  c.lowres_input = deck.get_bool("infer.lowres_input");
  c.snapshots = deck.get_string("infer.snapshots");
  c.start = deck.get_int("infer.start");
  c.rollout = deck.get_int("infer.rollout");
  c.horizon = deck.get_int("infer.horizon");
  c.feedback = deck.get_string("infer.feedback") == "mean" ? Feedback::Mean : Feedback::Member;
  c.restart = deck.get_string("infer.restart") == "auto";
  if (c.task == Task::Forecast) {
    // Its meaning changed from a list rollouts stepped through to nothing:
    // an old deck must not run with a different step than it asks for.
    FLEX_REQUIRE(!deck.is_set("infer.snapshots"),
                 c.about("infer.snapshots") << " = " << c.snapshots
                                            << " is not used by forecasting: infer.start is the raw snapshot index of "
                                               "the last known frame and infer.horizon the step in raw snapshots; "
                                               "drop the key");
    FLEX_REQUIRE(c.start >= c.horizon, c.about("infer.start") << " = " << c.start << " is before infer.horizon = "
                                                              << c.horizon
                                                              << ": the first step needs the frame at start - horizon");
  }
  c.factor = deck.get_int("infer.factor");
  c.sr_upsampling = data::parse_sr_upsampling(deck.get_string("infer.sr_upsampling"));
  c.checkpoint = deck.get_string("infer.checkpoint");
  FLEX_REQUIRE(c.checkpoint.empty() || fs::exists(c.checkpoint),
               c.about("infer.checkpoint") << " = " << c.checkpoint << " does not exist");

  const long patch = c.model.flex.img;
  const long halo = deck.get_int("infer.halo");
  c.halo = halo < 0 ? std::max(1L, patch / 32) : halo;
  c.fusion = deck.get_string("infer.fusion") == "once" ? Fusion::Once : Fusion::EveryStep;
  c.feature_cache_mb = deck.get_int("infer.feature_cache_mb");
  FLEX_REQUIRE(2 * c.halo < patch, c.about("infer.halo") << " = " << halo << " must be below half the patch (model.img = "
                                                         << patch << ")");
  const std::string& grid = deck.get_string("infer.decomposition");
  if (grid != "auto") {
    const auto x = grid.find('x');
    int rows = 0, cols = 0;
    char tail = 0;
    FLEX_REQUIRE(x != std::string::npos &&
                     std::sscanf(grid.c_str(), "%dx%d%c", &rows, &cols, &tail) == 2 && rows > 0 && cols > 0,
                 c.about("infer.decomposition") << " = " << grid << ": expected auto or <rows>x<cols>, e.g. 2x4");
    c.decomposition = {rows, cols};
  }
  const std::string& boundary = deck.get_string("infer.boundary");
  if (boundary != "auto") {
    try {
      c.boundary = decomp::parse_boundaries(boundary);
    } catch (const InputError& e) {
      FLEX_REQUIRE(false, c.about("infer.boundary") << ": " << e.what());
    }
  }
  c.batch = deck.get_int("infer.batch");
  c.members = deck.get_int("infer.members");
  c.steps = deck.get_int("infer.steps");
  c.parameterisation = diffusion::parse_parameterisation(deck.get_string("infer.parameterisation"));
  c.norm_mean = deck.get_reals("infer.norm_mean");
  c.norm_std = deck.get_reals("infer.norm_std");
  FLEX_REQUIRE(!c.norm_mean.empty() && !c.norm_std.empty(),
               c.about(c.norm_mean.empty() ? "infer.norm_mean" : "infer.norm_std") << " is empty: give one value, or one per channel");
  c.re = deck.get_real("infer.re");
  c.re_scaling = data::parse_re_scaling(deck.get_string("infer.re_scaling"));

  // Inference conditions on the Reynolds number alone (no step or factor scalar).
  data::SampleConfig sample;
  sample.re_scaling = c.re_scaling;
  FLEX_REQUIRE(data::conditioning_count(sample) == c.model.flex.n_cond_scalars,
               deck.where("model.cond_scalars") << ": key 'model.cond_scalars' = " << c.model.flex.n_cond_scalars
                                                << " but inference conditions on " << data::conditioning_count(sample)
                                                << " scalar(s)");

  const fs::path out(deck.get_string("infer.output"));
  c.output = out.is_absolute() ? out.string() : (fs::path(c.run.output_dir) / out).string();
  return c;
}

}  // namespace flex::infer
