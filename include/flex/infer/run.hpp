// `flex infer`: super-resolves or forecasts whole fields with a trained
// checkpoint: patch decomposition over ranks, halo-aware stitching, ensembles,
// autoregressive rollouts; writes prediction, ensemble and truth field files
// (doc/infer.md).
#pragma once

#include <c10/core/Device.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/infer/config.hpp"

namespace flex::infer {

struct SrSnapshot {
  std::int64_t snapshot = 0;  // index in config.input
  double seconds = 0;         // wall time of the field (sampling and writing)
  double rfne = 0;            // FLEX against the truth; NaN without one (infer.lowres_input)
  double rfne_upsampled = 0;  // the bicubic conditioning field against the truth; NaN likewise
};

struct SrSummary {
  std::vector<SrSnapshot> fields;  // in the order written
  bool with_truth = false;         // false: nothing to score against
  std::string output;              // the prediction file (config.output)
  double mean_rfne() const;
  double mean_rfne_upsampled() const;
};

// Super-resolves the selected snapshots of config.input (whatever config.task
// says), writes the field files and their resolved deck, and scores each
// field: `flex infer` with infer.task = sr, and `flex validate`'s sr.skill.
// Expects comm::configure_runtime to have run. Collective.
SrSummary super_resolve_file(const InferConfig& config, c10::Device device, MPI_Comm comm);

// The whole command: runtime set-up, then super-resolution or forecasting
// (config.task). Returns the exit code, 0; errors are exceptions.
int run(const InferConfig& config, MPI_Comm comm);

}  // namespace flex::infer
