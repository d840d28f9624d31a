// The NaN/Inf scan of the training and validation data (run.check_finite),
// before the first step: a NaN snapshot otherwise shows up only as skipped
// updates, reloads and a learning rate backed off to nothing. It reads what
// the samples will read, through the data sources themselves (each rank a
// share of the snapshots, on its own), so it costs one pass over those planes
// of one channel, and it is logged.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/data/field_source.hpp"

namespace flex::train {

// The raw snapshots that samples at the split's snapshots `split` read from
// a file of `n` snapshots: SR the snapshot itself, FC (when `fc`) t-h, t and
// t+h of every anchor t with both inside the file. Sorted, unique.
std::vector<std::int64_t> snapshots_read(const std::vector<std::int64_t>& split, std::int64_t n, bool sr, bool fc,
                                         std::int64_t horizon);

struct DataScan {
  std::int64_t values = 0;  // scanned, all ranks
  std::int64_t bad = 0;     // of which NaN or infinite
  std::int64_t snapshot = -1, row = -1, col = -1;  // the first bad value (lowest snapshot, then row-major)
  double seconds = 0;
};

// Collective over `comm`: channel `channel` of `snapshots` of `source`.
DataScan scan_data(const data::FieldSource& source, const std::vector<std::int64_t>& snapshots,
                   std::int64_t channel, MPI_Comm comm);

// scan_data, its cost in the log, and an InputError naming the file, the
// snapshot, the channel and `about` (where the file was named: "<deck>: key
// 'data.files'") when a value is not finite. `role`: "training" | "validation".
void require_finite_data(const data::FieldSource& source, const std::vector<std::int64_t>& snapshots,
                         std::int64_t channel, const std::string& about, const std::string& role, MPI_Comm comm);

}  // namespace flex::train
