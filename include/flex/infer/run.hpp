// `flex infer`: super-resolves or forecasts whole fields with a trained
// checkpoint: patch decomposition over ranks, halo-aware stitching, ensembles,
// autoregressive rollouts; writes prediction, ensemble, truth and baseline
// field files and scores the prediction and the baselines (doc/infer.md).
#pragma once

#include <c10/core/Device.h>
#include <mpi.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "flex/infer/config.hpp"

namespace flex::infer {

// RFNE against the truth, NaN without one (infer.lowres_input); the
// baselines are those of baselines.hpp.
struct SrSnapshot {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  std::int64_t snapshot = 0;                  // index in config.input
  double seconds = 0;                         // wall time of the field (sampling and writing)
  double rfne = kNone;                        // FLEX
  double rfne_bicubic_aligned = kNone;        // aligned periodic bicubic: the honest baseline
  double rfne_conditioning = kNone;           // the conditioning field the network sees
  double rfne_bicubic_align_corners = kNone;  // SuperBench's bicubic
  double seam = kNone;                        // decomp::seam_metric of the prediction (mean over channels)
};

struct SrSummary {
  std::vector<SrSnapshot> fields;  // in the order written
  bool with_truth = false;         // false: nothing to score against
  std::string output;              // the prediction file (config.output)
  // Mean over fields of one SrSnapshot member, e.g. &SrSnapshot::rfne; NaN without fields.
  double mean(double SrSnapshot::*value) const;
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
