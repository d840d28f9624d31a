// What `flex analyze` collects over the samples, and the files it becomes:
// the per-sample tables, filled as the samples are analysed; per channel (of
// the prediction and of each baseline), the series of each metric that the
// JSON summary averages and the skill table lists; the pull histograms summed
// over the samples.
#pragma once

#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "flex/analysis/config.hpp"
#include "flex/analysis/ensemble.hpp"
#include "inputs.hpp"
#include "report.hpp"

namespace flex::analysis {

// The point-wise metrics of a prediction, in column order (rmse follows mse,
// then ssim, rfne_tiles for analyze.protocol = tiles, seam where known).
extern const std::vector<std::string> kPairMetrics;

using Series = std::map<std::string, std::vector<double>>;  // metric -> one value per sample

struct Results {
  // `seam`: the seam metric has a column (the stitching tiling is known).
  Results(const AnalyzeConfig& config, bool seam = false);

  // The metrics table: sample, truth_snapshot, prediction_snapshot, channel,
  // these metric columns, then source (prediction or a baseline's name).
  std::vector<std::string> metric_columns;
  CsvTable metrics;
  CsvTable tiles{{"source", "sample", "channel", "tile_row", "tile_col", "batch", "error_norm", "truth_norm", "rfne"}};
  CsvTable spectra{{"sample", "field", "kind", "k", "modes", "energy"}};
  CsvTable ensemble{{"sample", "channel", "members", "rmse", "spread", "ssr", "crps", "pull_mean", "pull_std"}};
  CsvTable continuity{{"sample", "field", "continuity_error"}};
  std::map<long, Series> per_channel;                                       // the prediction's, per channel
  std::map<std::string, std::map<long, Series>> per_baseline;                // baseline -> channel -> series
  std::map<long, PullHistogram> pulls;                                      // channel -> summed over samples
  std::map<std::string, std::vector<double>> continuity_error;               // truth/prediction -> per sample

  bool has_metric_columns() const { return !metric_columns.empty(); }
  void add_pulls(long channel, const PullHistogram& histogram);
};

// The JSON summary: inputs, samples, ranks, normalisation, protocol; per
// channel the mean over samples of each metric asked for (ens_* for ensemble
// statistics), the skill horizon and PCC per step; the same per baseline; the
// mean continuity error of each field.
nlohmann::ordered_json summary(const AnalyzeConfig& config, const Inputs& in, const Results& results, int ranks);

// Rank 0 writes every table that has rows, the JSON summary (listing the files
// written) and the resolved deck. Collective.
void write_outputs(const AnalyzeConfig& config, const Inputs& in, const Results& results, MPI_Comm comm);

}  // namespace flex::analysis
