// Small collective helpers (namespace flex::mpi) used wherever ranks must agree before acting.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>

namespace flex::mpi {

// True on every rank if `local` is true on any rank.
bool any(bool local, MPI_Comm comm);
double sum(double local, MPI_Comm comm);
double max(double local, MPI_Comm comm);
double min(double local, MPI_Comm comm);
long sum(long local, MPI_Comm comm);
// A barrier whose waiting ranks sleep (1 ms polls) instead of spinning, so
// that a rank working alone meanwhile keeps every core it shares with them
// (MPI_Barrier busy-waits in Open MPI).
void idle_barrier(MPI_Comm comm);
// True if every rank of `comm` reaches this barrier within `seconds`; false
// (the barrier left pending) otherwise. For error paths, so MPI failures are
// a false, not an exception.
bool barrier_within(MPI_Comm comm, double seconds);
// Rank 0's string on every rank.
std::string broadcast(const std::string& value, MPI_Comm comm, int root = 0);

// Runs `work` on every rank; if it threw on any rank, every rank throws the
// error of the lowest failing rank (an InputError stays one), so no rank goes
// on to a collective that another has left. The one error path for I/O.
void agree(MPI_Comm comm, const std::function<void()>& work);

// agree() with `work` run on rank 0 only (file-system state, serial writes).
void on_root(MPI_Comm comm, const std::function<void()>& work);

// Balanced contiguous share of `count` items: [begin, end) of rank `rank`.
struct Range {
  long begin;
  long end;
  long size() const { return end - begin; }
};
Range share(long count, int rank, int size);

}  // namespace flex::mpi
