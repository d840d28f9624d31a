// Snapshots of a run. They are buffered (float32, this rank's rows) and
// written as one segment file per checkpoint interval into the run's parts
// folder just before each checkpoint, so every snapshot older than a
// checkpoint is on disk and survives a restart. When the run ends the
// segments are assembled, in order, into the one field file
// `fields[N, C, H, W]` (SuperBench layout) and removed; a run that never
// flushed writes the field file straight from its buffer.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "flex/dns/config.hpp"
#include "flex/dns/slab.hpp"

namespace flex::io {
class FieldWriter;
}

namespace flex::dns {

class SnapshotStore {
 public:
  // next: index of the next snapshot (0 for a fresh run; a checkpoint's count on restart).
  SnapshotStore(const RunConfig& config, const Slab& slab, MPI_Comm comm, long next);

  // Buffers snapshot `next` at time t from ω and its ψ (halos filled).
  void add(double t, const Field& omega, const Field& psi);
  // Collective: the buffered snapshots as one segment file. Call before each checkpoint.
  void flush();
  // Collective: the field file of snapshots [0, count); `annotate` adds the
  // run's attributes (the snapshot times are added here).
  void finish(long count, const std::function<void(io::FieldWriter&)>& annotate);

  long next() const { return next_; }
  std::string segment_path(long first) const;

 private:
  long channels() const { return static_cast<long>(config_.channels.size()); }
  long snapshot_floats() const { return channels() * slab_.rows * slab_.n; }

  const RunConfig& config_;
  Slab slab_;
  MPI_Comm comm_;
  long first_;  // index of the first buffered snapshot
  long next_;
  std::vector<float> buffer_;
  std::vector<double> times_;
};

}  // namespace flex::dns
