// Batches for training steps: the epoch's order is a permutation drawn from
// (seed, task, epoch); global step s is epoch s / steps_per_epoch, and rank r
// of R takes its contiguous share of that step's global batch. So the batch
// of a step never depends on timing, and a restart only needs the step.
// A prefetch thread reads the next batches while the caller computes; the
// queue is bounded (memory bounded: a few batches, never whole files).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "flex/data/dataset.hpp"

namespace flex::data {

// Fisher-Yates with SplitMix64 draws: the same permutation on every platform.
std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed);

struct LoaderOptions {
  std::int64_t batch = 8;           // per rank
  int rank = 0, ranks = 1;
  std::uint64_t seed = 0;           // run.seed
  std::int64_t steps_per_epoch = 0; // 0: size / (batch * ranks)
  std::int64_t prefetch = 2;        // batches read ahead (0: read on demand)
  // Page-locked batches (made on the prefetch thread), so that copies to a
  // GPU can be non-blocking; needs a LibTorch with CUDA.
  bool pin_memory = false;
};

class Loader {
 public:
  Loader(const Dataset& dataset, LoaderOptions options, std::int64_t first_step);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The batch of the next step (first_step, first_step + 1, ...).
  Batch next();
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  // The dataset indices of global step `step` on this rank (pure).
  std::vector<std::int64_t> indices_for(std::int64_t step) const;
  // The order of `epoch` (as used by indices_for).
  std::vector<std::int64_t> order(std::int64_t epoch) const;
  Batch make(std::int64_t step) const;

 private:
  void run();

  const Dataset& dataset_;
  LoaderOptions options_;
  std::int64_t steps_per_epoch_ = 0;
  std::int64_t next_step_ = 0;   // consumer
  std::int64_t fill_step_ = 0;   // producer

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread worker_;
};

// Minimum steps per epoch over several datasets sharing one step counter.
std::int64_t steps_per_epoch(const std::vector<const Dataset*>& datasets, std::int64_t batch, int ranks);

}  // namespace flex::data
