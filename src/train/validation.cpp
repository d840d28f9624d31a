#include "flex/core/error.hpp"
#include "flex/train/validation.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <string>

#include "flex/core/collectives.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/loader.hpp"

namespace flex::train {

at::Tensor rfne_per_sample(const at::Tensor& pred, const at::Tensor& truth) {
  auto diff = (pred - truth).flatten(1).to(torch::kDouble);
  auto ref = truth.flatten(1).to(torch::kDouble);
  return diff.norm(2, 1) / ref.norm(2, 1);
}

log::Fields validate(TrainModel& model, Ema& ema, const std::vector<const data::Dataset*>& valid,
                     const ValidationOptions& options, MPI_Comm comm) {
  log::Fields out;
  if (valid.empty()) return out;
  FLEX_PROFILE("train::validate");
  int rank = 0, ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  EmaScope with_ema(ema);
  model.module().eval();
  torch::NoGradGuard no_grad;
  for (const data::Dataset* d : valid) {
    const std::int64_t available = d->size() / (options.batch * ranks);
    const std::int64_t nb = std::min(options.batches, available);
    if (nb <= 0) {
      log::warn("train: validation set (", task_name(d->task()), ") smaller than one global batch; skipped");
      continue;
    }
    data::LoaderOptions lo;
    lo.batch = options.batch;
    lo.rank = rank;
    lo.ranks = ranks;
    lo.seed = options.seed;
    lo.steps_per_epoch = available;
    lo.prefetch = 0;
    data::Loader loader(*d, lo, 0);
    double sum = 0.0, count = 0.0;
    for (std::int64_t j = 0; j < nb; ++j) {
      data::Batch b = loader.make(j);
      auto pred = model.predict_residual(
          b, derive_seed(options.seed, Stream::kSamplerNoise,
                         {static_cast<std::uint64_t>(j), static_cast<std::uint64_t>(d->task())}));
      auto rf = rfne_per_sample(b.base + pred.to(b.base.device()), b.base + b.residual);
      sum += rf.sum().item<double>();
      count += static_cast<double>(rf.numel());
    }
    sum = mpi::sum(sum, comm);
    count = mpi::sum(count, comm);
    out.emplace_back(std::string("rfne_") + task_name(d->task()), sum / count);
  }
  model.module().train();
  return out;
}

}  // namespace flex::train
