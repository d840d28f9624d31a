// The files of an analysis, opened collectively and checked against each other
// and against the config: the checks that need the files (channel counts,
// snapshot ranges, the SSIM window against the field size) name the deck key
// they concern.
#pragma once

#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flex/analysis/config.hpp"
#include "flex/decomp/tiling.hpp"
#include "flex/io/fields.hpp"

namespace flex::analysis {

// Channel names (the truth file's `channels` attribute, else u, v, w for three
// channels, w for one, c<i> otherwise) and where u, v and the vorticity are
// (-1: absent).
struct Channels {
  std::vector<std::string> names;
  long u = -1, v = -1, w = -1;
};

struct Inputs {
  explicit Inputs(io::FieldReader truth_file) : truth(std::move(truth_file)) {}

  io::FieldReader truth;
  std::unique_ptr<io::FieldReader> prediction;  // null: no prediction file
  std::vector<io::FieldReader> ensemble;
  std::unique_ptr<io::FieldReader> baselines;  // null: none; else [N, B, H, W], B baselines of channel 0
  std::vector<std::string> baseline_names;     // its `channels` attribute (baseline<b> where missing)
  io::FieldShape shape;        // the truth's; every other file matches it in C, H, W
  Channels channels;
  std::vector<long> analysed;  // channels given point-wise and ensemble metrics
  long members = 0;            // ensemble members per sample (0: no ensemble)
  long packed = 0;             // > 0: ensemble[0] holds `members` members per sample (= members); 0: one per file
  long count = 0;              // samples analysed
  // The tiling the prediction was stitched on (analyze.seam_* or the file's
  // attributes); none: no seam metric.
  std::optional<decomp::Tiling> stitching;

  // A prediction file, or else the ensemble mean.
  bool has_prediction() const { return prediction || !ensemble.empty(); }
};

// What the prediction's rows are called beside the baselines' in the tables.
inline const char* const kPredictionSource = "prediction";

// Opens every input of `config` (collective over comm) and checks it: the
// members per sample of a packed ensemble against its `members` attribute
// (or taken from it), the stitching tiling for the seam metric, and, with run.check_finite, every snapshot and channel
// the analysis will read for NaN/Inf (io::require_finite).
Inputs open_inputs(const AnalyzeConfig& config, MPI_Comm comm);

}  // namespace flex::analysis
