// Validation during training (SPEC §6): the EMA weights in eval mode sample
// each held-out task with `sample_steps`-step DDIM on fixed patches (the
// epoch-0 order of the validation split, so every validation sees the same
// ones), and report the RFNE of the full field (conditioning + residual)
// averaged over samples and ranks.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "flex/core/log.hpp"
#include "flex/data/dataset.hpp"
#include "flex/train/ema.hpp"
#include "flex/train/trainer.hpp"

namespace flex::train {

struct ValidationOptions {
  std::int64_t batch = 8;    // per rank
  std::int64_t batches = 2;  // per rank and task, at most what the split holds
  std::uint64_t seed = 0;    // run.seed: the sampler noise of each batch
};

// Collective over `comm`. One `rfne_<task>` per dataset of `valid`; a split
// smaller than one global batch is skipped with a warning. The model holds
// its own weights again, in training mode, on return.
log::Fields validate(TrainModel& model, Ema& ema, const std::vector<const data::Dataset*>& valid,
                     const ValidationOptions& options, MPI_Comm comm);

// ||pred - truth|| / ||truth|| per sample, norms over [C, H, W].
at::Tensor rfne_per_sample(const at::Tensor& pred, const at::Tensor& truth);

}  // namespace flex::train
