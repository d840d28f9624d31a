// What `flex analyze` collects over the samples, and the files it becomes:
// the per-sample tables, filled as the samples are analysed; per channel, the
// series of each metric that the JSON summary averages and the skill table
// lists; the pull histograms summed over the samples.
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

// The point-wise metrics of a prediction, in column order (rmse follows mse, ssim comes last).
extern const std::vector<std::string> kPairMetrics;

struct Results {
  explicit Results(const AnalyzeConfig& config);

  // sample, truth_snapshot, prediction_snapshot, channel, then the metrics asked for.
  std::vector<std::string> metric_columns;
  CsvTable metrics;
  CsvTable spectra{{"sample", "field", "kind", "k", "modes", "energy"}};
  CsvTable ensemble{{"sample", "channel", "members", "rmse", "spread", "ssr", "crps", "pull_mean", "pull_std"}};
  CsvTable continuity{{"sample", "field", "continuity_error"}};
  std::map<long, std::map<std::string, std::vector<double>>> per_channel;  // channel -> metric -> per sample
  std::map<long, PullHistogram> pulls;                                      // channel -> summed over samples
  std::map<std::string, std::vector<double>> continuity_error;               // truth/prediction -> per sample

  bool has_metric_columns() const { return metric_columns.size() > 4; }
  void add_pulls(long channel, const PullHistogram& histogram);
};

// The JSON summary: inputs, samples, ranks, normalisation; per channel the mean
// over samples of each metric asked for (ens_* for ensemble statistics), the
// skill horizon and PCC per step; the mean continuity error of each field.
nlohmann::ordered_json summary(const AnalyzeConfig& config, const Inputs& in, const Results& results, int ranks);

// Rank 0 writes every table that has rows, the JSON summary (listing the files
// written) and the resolved deck. Collective.
void write_outputs(const AnalyzeConfig& config, const Inputs& in, const Results& results, MPI_Comm comm);

}  // namespace flex::analysis
