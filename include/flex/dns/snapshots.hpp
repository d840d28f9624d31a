// Snapshots of a run. Each is written as it comes to its own small field file
// in the run's parts folder, so snapshots written before an interruption
// survive a restart; when the run ends they are assembled, in order, into the
// one field file `fields[N, C, H, W]` (float32, SuperBench layout) and the
// parts are removed.
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
  SnapshotStore(const RunConfig& config, const Slab& slab, MPI_Comm comm);

  std::string part_path(long k) const;
  // Collective: snapshot k at time t from ω and its ψ (halos filled).
  void write(long k, double t, const Field& omega, const Field& psi);
  // Collective: the field file from parts [0, count); `annotate` adds the
  // run's attributes (the times of the snapshots are added here).
  void assemble(long count, const std::function<void(io::FieldWriter&)>& annotate);

 private:
  const RunConfig& config_;
  Slab slab_;
  MPI_Comm comm_;
};

}  // namespace flex::dns
