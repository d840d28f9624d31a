// Where a `flex train` run starts, and whether it may write into
// run.output_dir. A directory holding another run's outputs (checkpoints/chk*
// directories, metrics.jsonl, the export, train.deck.ini) is written into
// only by the run that continues it (train.restart = auto finding its
// checkpoint, or a chk directory inside it) or under run.overwrite = true;
// otherwise a new run would replace the old one's model and mix its own
// checkpoints with the old ones.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "flex/train/trainer.hpp"

namespace flex::train {

struct StartPlan {
  std::string checkpoint;     // resume from this chk directory; "" = a fresh start
  bool resumes_here = false;  // the checkpoint lies inside output_dir: this run continues that one
  // output_dir holds another run's outputs that this one replaces (run.overwrite):
  // its checkpoints are removed once this run starts.
  bool replaces_run = false;
  std::vector<std::string> found;  // another run's outputs in output_dir, relative to it
};

// Serial: looks at the file system (call on one rank). InputError, naming
// what it found and the ways on, when the run may not write into output_dir.
StartPlan plan_start(const TrainOptions& options);
// Collective over `comm`: rank 0's plan, or its InputError, on every rank.
StartPlan plan_start(const TrainOptions& options, MPI_Comm comm);

}  // namespace flex::train
