// Per-run LibTorch set-up every job starts with: threads, the global seed, and
// the device named by run.device (never assumed).
#pragma once

#include <c10/core/Device.h>
#include <mpi.h>

namespace flex {
struct RunSettings;
}

namespace flex::comm {

// Applies run.threads and run.seed; returns the device for this rank: CPU, or
// CUDA device (node-local rank mod visible GPUs). InputError if cuda is asked
// for and this LibTorch sees none.
c10::Device configure_runtime(const RunSettings& run, MPI_Comm comm);

// Rank within this node (MPI_Comm_split_type shared memory).
int local_rank(MPI_Comm comm);

}  // namespace flex::comm
