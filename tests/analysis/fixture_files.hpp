// Small field files with known analysis results, for the `flex analyze`
// tests: a 4-snapshot u, v, w truth on a 32² grid, a prediction equal to twice
// the truth (RFNE 1, PCC 1 in every channel), four ensemble members around
// the truth, one file each and the same members packed into one file. And a
// one-channel (vorticity) set as `flex infer` writes it: truth, prediction
// and its baselines sidecar, each baseline also alone in a file of its own.
#pragma once

#include <mpi.h>

#include <string>

namespace flex::analysis::testing {

constexpr long kFixtureSnapshots = 4, kFixtureSize = 32, kFixtureMembers = 4;

// The baselines of w_prediction.h5, in the order of w_prediction.baselines.h5:
// a noisy copy of the truth, and persistence (snapshot 0 at every sample, so
// its first sample equals the truth).
inline const char* const kFixtureBaselines[2] = {"bicubic_aligned", "persistence"};

// Writes truth.h5, prediction.h5, member0..3.h5, members_packed.h5, and
// w_truth.h5, w_prediction.h5, w_prediction.baselines.h5 (channels
// bicubic_aligned, persistence; task fc), w_<baseline>.h5 into `dir`
// (created if missing), collectively over `comm`.
void write_fixture(const std::string& dir, MPI_Comm comm);

}  // namespace flex::analysis::testing
