// Small field files with known analysis results, for the `flex analyze`
// tests: a 4-snapshot u, v, w truth on a 32² grid, a prediction equal to twice
// the truth (RFNE 1, PCC 1 in every channel), four ensemble members around
// the truth, one file each and the same members packed into one file.
#pragma once

#include <mpi.h>

#include <string>

namespace flex::analysis::testing {

constexpr long kFixtureSnapshots = 4, kFixtureSize = 32, kFixtureMembers = 4;

// Writes truth.h5, prediction.h5, member0..3.h5 and members_packed.h5 into
// `dir` (created if missing), collectively over `comm`.
void write_fixture(const std::string& dir, MPI_Comm comm);

}  // namespace flex::analysis::testing
