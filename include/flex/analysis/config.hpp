// The `flex analyze` deck: its keys (analyze.*) and the settings read from
// them. Everything that can be checked without the input files is checked
// here; what needs them (channel counts, snapshot ranges) is checked when the
// run opens them, and those messages name the key too.
#pragma once

#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/decomp/tiling.hpp"
#include "flex/io/layout.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::analysis {

void declare_keys(DeckSchema& schema);

// A field file and the dataset in it ("": `fields`, else `w`).
struct FieldInput {
  std::string path;
  std::string dataset;
};

// The files an analysis writes, all <run.output_dir>/<prefix>…
struct OutputFiles {
  std::string metrics_csv, metrics_json, spectra_csv, ensemble_csv, pull_csv, skill_csv, continuity_csv, tiles_csv;
  std::string deck;  // the resolved deck, <prefix>.deck.ini (output::resolved_deck_path)
  std::vector<std::string> all() const;
};

struct AnalyzeConfig {
  FieldInput truth;                   // path required
  io::FieldLayout truth_layout;       // analyze.truth_format, _dataset, _batch_index
  FieldInput prediction;              // path "": the ensemble mean if there is an ensemble, else none
  std::vector<std::string> ensemble;  // one file per member, or one file of packed members
  // Baseline predictions [N, B, H, W] of a one-channel prediction, scored like
  // it ("": none): analyze.baselines, or else the <prediction stem>.baselines.h5
  // that `flex infer` writes beside its prediction, when it exists.
  std::string baselines;
  std::string ensemble_dataset;
  long ensemble_members = 0;  // > 0: snapshot s K + m of ensemble[0] is member m of sample s
                              // (0 with one file: its `members` attribute; see Inputs::members)
  long first = 0;             // first truth snapshot
  long prediction_first = 0;  // prediction/ensemble sample matching it
  long count = 0;             // samples; 0: as many as the files hold
  long stride = 1;            // snapshot step between samples
  std::vector<long> channels;  // given point-wise and ensemble metrics; empty: all
  long u_channel = -1, v_channel = -1, vorticity_channel = -1;  // -1: found by name
  std::set<std::string> metrics;  // any of rfne, pcc, mse, psnr, ssim, linf, continuity, spectrum, ensemble, skill, seam
  std::string normalise = "sample";  // none | sample | given
  std::vector<double> given_mean, given_std;  // per channel, for normalise = given (std > 0)
  double domain_length = 2 * M_PI;
  bool spectrum_axes = false;
  std::string protocol = "whole";  // whole | tiles (adds the tiled RFNE of the paper's Table 1)
  long tile = 256;                 // tile side, dividing H and W
  long tile_batch = 32;            // tiles per RFNE batch
  int ssim_window = 11;  // odd
  double ssim_sigma = 1.5;
  double skill_threshold = 0.95;
  // The tiling a prediction was stitched on, for the seam metric: 0 / -1 /
  // unset: the prediction's `patch`, `halo`, `boundary` attributes (flex
  // infer writes them).
  long seam_patch = 0, seam_halo = -1;
  std::optional<decomp::Boundaries> seam_boundary;
  int pull_bins = 40;
  double pull_range = 5.0;
  std::string prefix = "analysis";
  RunSettings run;  // run.*: output_dir, overwrite, the resolved deck

  bool wants(const std::string& metric) const { return metrics.count(metric) > 0; }
  bool tiled() const { return protocol == "tiles"; }
  // Ensemble members per sample as the deck gives it: packed, or one per file
  // (0: no ensemble; 1 for one file left to its `members` attribute, which
  // open_inputs reads: Inputs::members is the count the run uses).
  long members_per_sample() const;
  OutputFiles outputs() const;
};

// Reads and validates the analyze.* keys (InputError naming the key and where
// its value came from otherwise) and the run.* keys.
AnalyzeConfig read_config(const Deck& deck);

}  // namespace flex::analysis
