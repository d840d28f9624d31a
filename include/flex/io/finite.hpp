// The NaN/Inf scan of the input ranges a run will read (run.check_finite),
// done before any work so that bad data fails the run with its location
// instead of turning into NaN predictions, metrics or training reloads.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace flex::io {

class FieldReader;

struct FiniteScan {
  long values = 0;     // values scanned, all ranks
  long bad = 0;        // of which NaN or infinite
  long snapshot = -1, channel = -1, row = -1, col = -1;  // the first bad value (lowest snapshot)
  double seconds = 0;  // wall time of the scan
};

// Collective over `comm`: snapshots `snapshots` of `reader` (the channels in
// `channels`; empty: every channel), each read by one rank.
FiniteScan scan_finite(const FieldReader& reader, const std::vector<long>& snapshots,
                       const std::vector<long>& channels, MPI_Comm comm);

// scan_finite, its cost in the log, and an InputError naming the file, the
// dataset and the first bad value when any is found. `what` says which input
// it is ("infer.input", "data.files"), for the message.
void require_finite(const FieldReader& reader, const std::vector<long>& snapshots, const std::vector<long>& channels,
                    MPI_Comm comm, const std::string& what);

}  // namespace flex::io
