// `flex train`: data, network, communicator and trainer from a validated
// TrainConfig, then the training run.
#pragma once

#include <mpi.h>

#include "flex/train/config.hpp"

namespace flex::train {

// Collective over comm. Writes the resolved deck (config.deck_path()), the
// checkpoints, metrics.jsonl and the exported EMA weights into
// config.run.output_dir. Returns 0 (finished) or 3 (stopped cleanly after a
// signal-triggered checkpoint: run again to continue).
int run(const TrainConfig& config, MPI_Comm comm);

}  // namespace flex::train
