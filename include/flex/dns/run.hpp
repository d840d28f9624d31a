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
  bool finished = false;  // false: stopped by dns.max_steps, continue with dns.restart=latest
};

// Collective over comm. deck_text is stored in the field file's attributes.
RunSummary run_dns_simulation(const RunConfig& config, const std::string& deck_text, MPI_Comm comm);

}  // namespace flex::dns
