// Data-parallel gradient averaging. Parameters are broadcast from rank 0 at
// the start; gradients are packed into size-bounded buckets (flat buffers,
// one dtype and device each, in reverse registration order, which is roughly
// the order backward produces them). A gradient hook on every parameter
// copies its gradient into the bucket; a full bucket starts its reduction
// while backward is still running. Buckets are started strictly in index
// order so every rank issues the same collectives in the same order.
// Gradient accumulation: micro-steps with sync disabled only accumulate
// locally; the step that syncs reduces the accumulated sum.
// Parameters that receive no gradient (the other task's encoder) keep an
// undefined gradient, identically on every rank, so optimisers skip them.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace flex::comm {

class Communicator;
class Work;

struct GradientSyncOptions {
  std::size_t bucket_bytes = 25u << 20;  // upper bound per bucket (one parameter may exceed it alone)
  bool overlap = true;                   // start reductions from gradient hooks during backward
};

class GradientSync {
 public:
  GradientSync(std::vector<at::Tensor> parameters, Communicator& comm, GradientSyncOptions options = {});
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // Every rank gets rank 0's parameter values.
  void broadcast_parameters();
  // Call before each backward: sync=false for accumulation micro-steps.
  void prepare(bool sync);
  // After backward of a syncing step: completes every reduction and writes
  // the averaged gradients into .grad. No-op after a non-syncing step.
  void finish();

  std::size_t bucket_count() const;
  Communicator& communicator() const { return comm_; }

 private:
  struct Bucket;
  void on_gradient(std::size_t param, const at::Tensor& grad);
  void launch_ready_buckets();
  void launch(Bucket& b);

  std::vector<at::Tensor> params_;
  Communicator& comm_;
  GradientSyncOptions options_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<std::size_t> bucket_of_, offset_of_;
  std::vector<bool> seen_;
  std::vector<std::pair<std::size_t, unsigned>> hooks_;  // (parameter, handle), removed on destruction
  std::size_t next_launch_ = 0;
  bool syncing_ = false;
};

}  // namespace flex::comm
