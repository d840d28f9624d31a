// A whole DNS run: initial state (or checkpoint), time loop with snapshots,
// diagnostics, checkpoints and progress lines, and the assembled field file.
#pragma once

#include <mpi.h>

#include <string>

#include "flex/dns/config.hpp"

namespace flex::dns {

struct RunSummary {
  long steps = 0;        // steps taken by this invocation
  long total_steps = 0;  // steps since the start of the run (across restarts)
  long snapshots = 0;    // snapshots on disk
  double t = 0;
  bool finished = false;  // false: stopped by dns.max_steps or a signal, continue with dns.restart=latest
  bool stopped_by_signal = false;  // SIGUSR1/SIGTERM: checkpointed at the next step on every rank
};

// Collective over comm. The resolved deck (config.run.deck_text) is stored
// beside the output and in the field file's attributes.
RunSummary run_dns_simulation(const RunConfig& config, MPI_Comm comm);

// `flex dns`: the run's exit code, 0 (done or stopped by dns.max_steps) or 3 (stopped by a signal).
int run(const RunConfig& config, MPI_Comm comm);

}  // namespace flex::dns
