// Checkpoint-on-signal (WarpX SignalHandling, Slurm --signal=B:USR1@120):
// used by `flex train` and `flex dns`; every rank installs the handler (an
// unhandled SIGTERM would kill it), and the flags are combined over the ranks
// at a step boundary, so a signal to any one rank makes all of them
// checkpoint at the same step and stop.
#pragma once

#include <mpi.h>

namespace flex {

// Installs handlers for SIGUSR1 and SIGTERM that only set a flag; restores
// the previous handlers on destruction.
class SignalWatch {
 public:
  SignalWatch();
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // Collective: the largest signal number any rank received since the last clear (0: none).
  int poll(MPI_Comm comm) const;
  void clear();
};

}  // namespace flex
