// Checkpoints: the full double-precision state of a DNS run in one binary
// file, written collectively (MPI-IO, each rank its row slab) under a
// temporary name and renamed into place, so a checkpoint on disk is always
// complete. Continuing from one gives bit-for-bit the uninterrupted run.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "flex/dns/slab.hpp"

namespace flex::dns {

// One row of the diagnostics series: step, t, energy, enstrophy, max|ω|, CFL, Δt.
using DiagnosticRow = std::array<double, 7>;

struct RunState {
  long step = 0;
  double t = 0;
  double t0 = 0;            // start time of the run (snapshot k is at t0 + k Δt_snap)
  long next_snapshot = 0;   // snapshots [0, next_snapshot) are written
  double re = 0;            // the run's Reynolds number, checked on restart
  std::uint64_t seed = 0;
  std::vector<DiagnosticRow> diagnostics;
};

// Collective. Overwrites nothing but `path` (atomically).
void write_checkpoint(const std::string& path, const Field& omega, const RunState& state, MPI_Comm comm);

// Collective. Grid size and Re must match; errors name the file and the key.
RunState read_checkpoint(const std::string& path, Field& omega, MPI_Comm comm);

// "<dir>/chk<step, 9 digits>.bin".
std::string checkpoint_name(const std::string& dir, long step);
// Newest checkpoint in dir ("" if none). Rank 0 looks; every rank gets the answer.
std::string latest_checkpoint(const std::string& dir, MPI_Comm comm);

}  // namespace flex::dns
