// The `flex validate` deck: the validate.* keys, plus the infer.* / model.*
// keys of `flex infer` that the SR skill check samples with, read into one
// validated struct.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/infer/config.hpp"
#include "flex/validate/stages.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::validate {

// validate.* and infer::declare_keys (run.* are the CLI's).
void declare_keys(DeckSchema& schema);

struct ValidateConfig {
  RunSettings run;
  std::vector<std::string> checks = {"all"};  // names or prefixes of checks(); "all" selects every check
  long grid = 64;                             // DNS convergence grid (the coarse one is half of it)
  std::string fixtures;  // folder with parity_tiny.pt/.h5; "" : none given or found (model.parity skipped)
  std::string report;    // <run.output_dir>/<validate.report>: the reports' path without extension
  infer::InferConfig infer;  // sr.skill samples as `flex infer` would with these keys

  // A suite: stages run in run.output_dir before the checks (doc/validate.md, "Suites").
  std::vector<Stage> stages;
  // Analysis summaries (<prefix>_metrics.json, relative to run.output_dir) the suite's claims judge.
  std::vector<std::string> sr_metrics, zero_shot_metrics, fc_metrics, ensemble_metrics;
  // suite.sr_vs_competitors: FLEX's summaries, and each same-budget network's (label, summaries).
  std::vector<std::string> sr_reference;
  std::vector<std::pair<std::string, std::vector<std::string>>> sr_competitors;
  double sr_ratio = 1.0;          // RFNE(FLEX) / RFNE(aligned bicubic) at most this
  double fc_horizon_ratio = 2.0;  // leads with PCC > 0.95: FLEX's at least this times persistence's

  // validate.checks = all: a check missing its inputs is skipped, not an error.
  bool everything() const;
  bool selects(const std::string& check) const;
};

// Reads and validates every key; unknown check names are an InputError.
ValidateConfig read_config(const Deck& deck);

}  // namespace flex::validate
