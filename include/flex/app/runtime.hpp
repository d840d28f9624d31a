// Per-run LibTorch set-up shared by the subcommands: threads, global seed,
// and the device named by run.device (never assumed).
#pragma once

#include <c10/core/Device.h>

namespace flex {
struct RunContext;

// Applies run.threads and run.seed; returns the device for this rank:
// CPU, or CUDA device (node-local rank mod visible GPUs). Errors if cuda is
// requested and unavailable.
c10::Device configure_runtime(const RunContext& ctx);

// Rank within this node (MPI_Comm_split_type shared memory).
int local_rank(const RunContext& ctx);

}  // namespace flex
