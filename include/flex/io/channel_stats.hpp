// Per-channel mean and standard deviation of a set of field files (ERA5's
// z-scoring, SuperBench's convention), computed once in parallel and cached
// beside the data as JSON, so later runs and other jobs reuse them.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "flex/io/layout.hpp"

namespace flex::io {

struct ChannelStats {
  std::vector<double> mean, std;  // per channel of the logical view
  long snapshots = 0;             // summed over the files
  std::string source;             // the cache file, or "computed" when it could not be written
};

// The files whose statistics normalise `path`: every *.h5 of its directory
// (the split); for SuperBench's valid_*/test_* splits the sibling train/
// when it exists, so held-out data is normalised with training statistics.
std::vector<std::string> statistics_files(const std::string& path);

// Statistics over every snapshot of `files` (sorted), read in `layout`.
// Cached in <dir of files[0]>/flex_stats.<format>[.<dataset>][.b<batch>].json,
// valid while it lists the same files with the same sizes and times; an
// unwritable directory only costs the recomputation (a warning says so).
// Collective over `comm`: the snapshots are shared out, the partial sums
// combined in rank order, so the result does not depend on the rank count
// beyond round-off.
ChannelStats channel_statistics(const std::vector<std::string>& files, const FieldLayout& layout, MPI_Comm comm);

}  // namespace flex::io
