#include "flex/data/loader.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/seed.hpp"

namespace flex::data {

std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[i] = i;
  std::uint64_t state = seed;
  for (std::int64_t i = n - 1; i > 0; --i) {
    state += 0x9e3779b97f4a7c15ULL;
    const auto j = static_cast<std::int64_t>(mix64(state) % static_cast<std::uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

std::int64_t steps_per_epoch(const std::vector<const Dataset*>& datasets, std::int64_t batch, int ranks) {
  std::int64_t spe = -1;
  for (const Dataset* d : datasets) {
    const std::int64_t s = d->size() / (batch * ranks);
    spe = spe < 0 ? s : std::min(spe, s);
  }
  return std::max<std::int64_t>(spe, 0);
}

Loader::Loader(const Dataset& dataset, LoaderOptions options, std::int64_t first_step)
    : dataset_(dataset), options_(options), next_step_(first_step), fill_step_(first_step) {
  steps_per_epoch_ = options_.steps_per_epoch > 0 ? options_.steps_per_epoch
                                                  : dataset_.size() / (options_.batch * options_.ranks);
  FLEX_REQUIRE(steps_per_epoch_ > 0 && steps_per_epoch_ * options_.batch * options_.ranks <= dataset_.size(),
               "the " << task_name(dataset_.task()) << " training set has " << dataset_.size()
                      << " samples, fewer than one global batch of " << options_.batch * options_.ranks
                      << " (train.batch x ranks): add data or lower train.batch");
  if (options_.prefetch > 0) worker_ = std::thread([this] { run(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::vector<std::int64_t> Loader::order(std::int64_t epoch) const {
  const auto task = static_cast<std::uint64_t>(dataset_.task());
  return epoch_order(dataset_.size(), derive_seed(options_.seed, Stream::kDataOrder, {task, static_cast<std::uint64_t>(epoch)}));
}

std::vector<std::int64_t> Loader::indices_for(std::int64_t step) const {
  const std::int64_t epoch = step / steps_per_epoch_, within = step % steps_per_epoch_;
  const auto ord = order(epoch);
  const std::int64_t first = (within * options_.ranks + options_.rank) * options_.batch;
  return {ord.begin() + first, ord.begin() + first + options_.batch};
}

Batch Loader::make(std::int64_t step) const {
  // No profiler region: make() also runs on the prefetch thread.
  const std::int64_t epoch = step / steps_per_epoch_;
  const auto task = static_cast<std::uint64_t>(dataset_.task());
  auto idx = indices_for(step);
  std::vector<Sample> samples;
  for (std::int64_t i : idx)
    samples.push_back(dataset_.get(
        i, derive_seed(options_.seed, Stream::kDataOrder, {task, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(i), 1})));
  Batch b = collate(dataset_.task(), samples, std::move(idx));
  if (options_.pin_memory)
    for (at::Tensor* t : {&b.input, &b.base, &b.residual, &b.cond})
      if (t->defined()) *t = t->pin_memory();
  return b;
}

void Loader::run() {
  try {
    for (;;) {
      std::int64_t step;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || static_cast<std::int64_t>(queue_.size()) < options_.prefetch; });
        if (stop_) return;
        step = fill_step_++;
      }
      Batch b = make(step);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(b));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

Batch Loader::next() {
  if (options_.prefetch <= 0) return make(next_step_++);
  FLEX_PROFILE("data::wait");
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return !queue_.empty() || error_; });
  if (queue_.empty() && error_) std::rethrow_exception(error_);
  Batch b = std::move(queue_.front());
  queue_.pop_front();
  ++next_step_;
  lock.unlock();
  cv_.notify_all();
  return b;
}

}  // namespace flex::data
