#include "flex/analysis/config.hpp"

#include <algorithm>
#include <filesystem>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"
#include "flex/decomp/tiling.hpp"

namespace flex::analysis {

namespace {
const std::vector<std::string> kMetrics = {"rfne",     "pcc",      "mse",   "psnr", "ssim",      "linf",
                                           "continuity", "spectrum", "ensemble", "skill", "seam"};
}  // namespace

void declare_keys(DeckSchema& s) {
  s.add_path("analyze.truth", "", "reference field file (any layout of doc/data.md); required");
  io::declare_layout_keys(s, "analyze.truth_", "analyze.truth");
  s.add_path("analyze.prediction", "",
             "predicted field file, same C, H, W as the truth (empty: the ensemble mean if an ensemble is given, "
             "else only the truth's spectra)");
  s.add_string("analyze.prediction_dataset", "", "dataset in the prediction file (empty: `fields`, else `w`)");
  s.add_string("analyze.ensemble", "",
               "ensemble member files, separated by commas or spaces, one member per file; or one file holding "
               "analyze.ensemble_members members per sample");
  s.add_string("analyze.ensemble_dataset", "", "dataset in the ensemble file(s) (empty: `fields`, else `w`)");
  s.add_int("analyze.ensemble_members", 0,
            "members per sample when analyze.ensemble is one file: snapshot s*K + m is member m of sample s "
            "(0: the file's `members` attribute, as `flex infer` writes it; must match it when both are given)")
      .range(0, {});
  s.add_path("analyze.baselines", "",
             "baseline predictions [N,B*C,H,W] (B baselines of the C channels, baseline-major), names in the "
             "`channels` attribute, scored like the prediction (empty: <prediction stem>.baselines.h5 beside "
             "analyze.prediction if it exists, as `flex infer` writes it; none: no baselines)");
  s.add_int("analyze.first", 0, "first truth snapshot analysed").range(0, {});
  s.add_int("analyze.prediction_first", 0, "prediction/ensemble sample matching the first truth snapshot")
      .range(0, {});
  s.add_int("analyze.count", 0, "samples analysed (0: as many as all files hold)").range(0, {});
  s.add_int("analyze.stride", 1, "snapshot step between samples, in the truth and the prediction alike")
      .range(1, {});
  s.add_ints("analyze.channels", "", "channels given point-wise and ensemble metrics (empty: all)").range(0, {});
  s.add_int("analyze.u_channel", -1, "channel of u (-1: from the file's channel names, or 0 for 3 channels)")
      .range(-1, {});
  s.add_int("analyze.v_channel", -1, "channel of v (-1: from the file's channel names, or 1 for 3 channels)")
      .range(-1, {});
  s.add_int("analyze.vorticity_channel", -1,
            "channel of the vorticity (-1: from the file's channel names, or 2 for 3 channels, 0 for 1)")
      .range(-1, {});
  s.add_string("analyze.metrics", "rfne,pcc,mse,psnr,ssim,linf,continuity,spectrum,ensemble,skill,seam",
               "what to compute, separated by commas or spaces: rfne, pcc, mse, psnr, ssim, linf, continuity, "
               "spectrum, ensemble, skill, seam (patch-border visibility, where the stitching tiling is known)");
  s.add_choice("analyze.normalise", "sample", {"none", "sample", "given"},
               "map fields before point-wise and ensemble metrics: none; sample (z-score both with the truth "
               "sample's mean/std, SuperBench); given (analyze.mean / analyze.std per channel)");
  s.add_reals("analyze.mean", "", "per-channel means for analyze.normalise = given");
  s.add_reals("analyze.std", "", "per-channel stds for analyze.normalise = given").range(0, {});
  s.add_real("analyze.domain_length", 2 * M_PI, "periodic box side L (grid spacing L/H, L/W) for the continuity error")
      .range(0, {});
  s.add_bool("analyze.spectrum_axes", false,
             "count the kx = 0 and ky = 0 modes in the spectrum shells (San & Pawar leave them out)");
  s.add_choice("analyze.protocol", "whole", {"whole", "tiles"},
               "whole: metrics of whole fields; tiles: also the paper's Table 1 RFNE (rfne_tiles): fields cut "
               "into analyze.tile² tiles, RFNE of each batch of analyze.tile_batch tiles, mean over batches");
  s.add_int("analyze.tile", 256, "tile side for analyze.protocol = tiles; must divide the field's H and W")
      .range(1, {});
  s.add_int("analyze.tile_batch", 32,
            "consecutive tiles (row-major) per RFNE batch for analyze.protocol = tiles (the authors' 32; 1: the "
            "mean of per-tile RFNEs)")
      .range(1, {});
  s.add_int("analyze.ssim_window", 11, "SSIM Gaussian window size (odd)").range(3, {});
  s.add_real("analyze.ssim_sigma", 1.5, "SSIM Gaussian window standard deviation, pixels").range(0, {});
  s.add_real("analyze.skill_threshold", 0.95, "PCC above which a rollout step counts as skilful").range(-1, 1);
  s.add_int("analyze.pull_bins", 40, "bins of the pull histogram").range(1, 100000);
  s.add_real("analyze.pull_range", 5.0, "pull histogram spans [-range, range]").range(0, {});
  s.add_int("analyze.seam_patch", 0,
            "patch side the prediction was stitched with, for the seam metric (0: its `patch` attribute, as "
            "flex infer writes it; none there: no seam metric)")
      .range(0, {});
  s.add_int("analyze.seam_halo", -1, "patch halo for the seam metric (-1: the prediction's `halo` attribute)")
      .range(-1, {});
  s.add_string("analyze.seam_boundary", "",
               "edges of the stitching tiling, periodic | reflect | <rows>,<cols> (empty: the prediction's "
               "`boundary` attribute, else periodic)");
  s.add_string("analyze.prefix", "analysis", "output file stem under run.output_dir: <prefix>_metrics.csv, ...");
}

std::vector<std::string> OutputFiles::all() const {
  return {metrics_csv, metrics_json, spectra_csv, ensemble_csv, pull_csv, skill_csv, continuity_csv, tiles_csv, deck};
}

long AnalyzeConfig::members_per_sample() const {
  return ensemble_members > 0 ? ensemble_members : static_cast<long>(ensemble.size());
}

OutputFiles AnalyzeConfig::outputs() const {
  const std::string stem = run.output_dir + "/" + prefix;
  // The outputs share the stem <dir>/<prefix>; resolved_deck_path swaps an
  // extension, so hand it one to swap: a dotted prefix keeps its dots.
  return {stem + "_metrics.csv",    stem + "_metrics.json", stem + "_spectra.csv",
          stem + "_ensemble.csv",   stem + "_pull.csv",     stem + "_skill.csv",
          stem + "_continuity.csv", stem + "_tiles.csv",    output::resolved_deck_path(stem + ".x")};
}

AnalyzeConfig read_config(const Deck& deck) {
  AnalyzeConfig c;
  c.run = read_run_settings(deck);

  for (const auto& m : deck.get_strings("analyze.metrics")) {
    FLEX_REQUIRE(std::find(kMetrics.begin(), kMetrics.end(), m) != kMetrics.end(),
                 deck.where("analyze.metrics") << ": key 'analyze.metrics' names '" << m
                                               << "'; allowed: rfne, pcc, mse, psnr, ssim, linf, continuity, "
                                                  "spectrum, ensemble, skill, seam");
    c.metrics.insert(m);
  }

  c.truth = {deck.get_string("analyze.truth"), deck.get_string("analyze.truth_dataset")};
  c.truth_layout = io::read_layout(deck, "analyze.truth_");
  FLEX_REQUIRE(!c.truth.path.empty(),
               deck.where("analyze.truth") << ": key 'analyze.truth' is required (the reference field file)");
  c.prediction = {deck.get_string("analyze.prediction"), deck.get_string("analyze.prediction_dataset")};
  c.ensemble = deck.get_strings("analyze.ensemble");
  c.ensemble_dataset = deck.get_string("analyze.ensemble_dataset");
  c.ensemble_members = deck.get_int("analyze.ensemble_members");
  FLEX_REQUIRE(c.ensemble_members == 0 || c.ensemble.size() == 1,
               deck.where("analyze.ensemble_members") << ": key 'analyze.ensemble_members' = " << c.ensemble_members
                                                      << " needs exactly one file in analyze.ensemble");
  // One file with the key at 0: the count comes from its `members` attribute,
  // checked when the file is open (inputs.cpp).
  FLEX_REQUIRE(c.ensemble.empty() || (c.ensemble.size() == 1 && c.ensemble_members == 0) ||
                   c.members_per_sample() >= 2,
               deck.where("analyze.ensemble") << ": key 'analyze.ensemble' gives " << c.members_per_sample()
                                              << " member(s); ensemble statistics need at least 2");

  // Found by name, so the baselines `flex infer` wrote are scored without a key.
  const std::string baselines = deck.get_string("analyze.baselines");
  if (!baselines.empty() && baselines != "none") {
    c.baselines = baselines;
    FLEX_REQUIRE(std::filesystem::exists(baselines),
                 deck.where("analyze.baselines") << ": key 'analyze.baselines' = " << baselines
                                                 << " does not exist (none: no baselines)");
  } else if (baselines.empty() && !c.prediction.path.empty()) {
    const std::string beside = output::sidecar(c.prediction.path, ".baselines.h5");
    if (std::filesystem::exists(beside)) c.baselines = beside;
  }

  c.first = deck.get_int("analyze.first");
  c.prediction_first = deck.get_int("analyze.prediction_first");
  c.count = deck.get_int("analyze.count");
  c.stride = deck.get_int("analyze.stride");
  c.channels = deck.get_ints("analyze.channels");
  c.u_channel = deck.get_int("analyze.u_channel");
  c.v_channel = deck.get_int("analyze.v_channel");
  c.vorticity_channel = deck.get_int("analyze.vorticity_channel");

  c.normalise = deck.get_string("analyze.normalise");
  c.given_mean = deck.get_reals("analyze.mean");
  c.given_std = deck.get_reals("analyze.std");
  if (c.normalise == "given")  // one value per channel: checked against the truth file when it is open
    for (double s : c.given_std)
      FLEX_REQUIRE(s > 0, deck.where("analyze.std") << ": key 'analyze.std' must be positive");

  c.domain_length = deck.get_real("analyze.domain_length");
  c.spectrum_axes = deck.get_bool("analyze.spectrum_axes");
  c.protocol = deck.get_string("analyze.protocol");
  c.tile = deck.get_int("analyze.tile");
  c.tile_batch = deck.get_int("analyze.tile_batch");
  c.ssim_window = static_cast<int>(deck.get_int("analyze.ssim_window"));
  FLEX_REQUIRE(c.ssim_window % 2 == 1, deck.where("analyze.ssim_window") << ": key 'analyze.ssim_window' must be odd");
  c.ssim_sigma = deck.get_real("analyze.ssim_sigma");
  c.skill_threshold = deck.get_real("analyze.skill_threshold");
  c.pull_bins = static_cast<int>(deck.get_int("analyze.pull_bins"));
  c.pull_range = deck.get_real("analyze.pull_range");
  FLEX_REQUIRE(c.pull_range > 0, deck.where("analyze.pull_range") << ": key 'analyze.pull_range' = " << c.pull_range
                                                         << " must be > 0 (the histogram spans [-range, range])");
  c.seam_patch = deck.get_int("analyze.seam_patch");
  c.seam_halo = deck.get_int("analyze.seam_halo");
  if (const auto& edges = deck.get_string("analyze.seam_boundary"); !edges.empty()) {
    try {
      c.seam_boundary = decomp::parse_boundaries(edges);
    } catch (const InputError& e) {
      throw InputError(deck.where("analyze.seam_boundary") + ": key 'analyze.seam_boundary': " + e.what());
    }
  }
  c.prefix = deck.get_string("analyze.prefix");
  return c;
}

}  // namespace flex::analysis
