#include "flex/comm/gradient_sync.hpp"

#include <torch/torch.h>

#include "flex/comm/communicator.hpp"
#include "flex/core/error.hpp"
#include "flex/core/profiler.hpp"

namespace flex::comm {

struct GradientSync::Bucket {
  std::vector<std::size_t> params;  // indices into params_
  at::Tensor flat;
  std::size_t pending = 0;  // parameters whose gradient has not arrived yet
  std::unique_ptr<Work> work;
};

GradientSync::GradientSync(std::vector<at::Tensor> parameters, Communicator& comm, GradientSyncOptions options)
    : params_(std::move(parameters)), comm_(comm), options_(options) {
  const std::size_t n = params_.size();
  bucket_of_.assign(n, 0);
  offset_of_.assign(n, 0);
  seen_.assign(n, false);
  // Reverse order: the last layers' gradients are produced first.
  Bucket* open = nullptr;
  std::size_t open_bytes = 0;
  long open_numel = 0;
  for (std::size_t k = n; k-- > 0;) {
    const at::Tensor& p = params_[k];
    FLEX_CHECK(p.is_floating_point(), "gradient sync: parameter " << k << " is not floating point");
    const std::size_t bytes = static_cast<std::size_t>(p.numel()) * p.element_size();
    const bool fits = open && open_bytes + bytes <= options_.bucket_bytes &&
                      buckets_.back()->flat.scalar_type() == p.scalar_type() &&
                      buckets_.back()->flat.device() == p.device();
    if (!fits) {
      if (open) open->flat = open->flat.new_empty({open_numel});
      buckets_.push_back(std::make_unique<Bucket>());
      open = buckets_.back().get();
      open->flat = torch::empty({0}, p.options().requires_grad(false));
      open_bytes = 0;
      open_numel = 0;
    }
    bucket_of_[k] = buckets_.size() - 1;
    offset_of_[k] = static_cast<std::size_t>(open_numel);
    open->params.push_back(k);
    open_bytes += bytes;
    open_numel += p.numel();
  }
  if (open) open->flat = open->flat.new_empty({open_numel});

  if (options_.overlap) {
    for (std::size_t k = 0; k < n; ++k) {
      if (!params_[k].requires_grad()) continue;
      hooks_.emplace_back(k, params_[k].register_hook([this, k](const at::Tensor& grad) { on_gradient(k, grad); }));
    }
  }
}

GradientSync::~GradientSync() {
  // The hooks capture `this`: a later GradientSync over the same parameters must not reach us.
  for (auto& [k, handle] : hooks_) params_[k].remove_hook(handle);
  for (auto& b : buckets_) b->work.reset();
}

std::size_t GradientSync::bucket_count() const { return buckets_.size(); }

void GradientSync::broadcast_parameters() {
  FLEX_PROFILE("comm::broadcast_parameters");
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) {
    for (std::size_t k : b->params)
      b->flat.narrow(0, static_cast<long>(offset_of_[k]), params_[k].numel()).copy_(params_[k].reshape(-1));
    comm_.broadcast(b->flat, 0);
    for (std::size_t k : b->params)
      params_[k].copy_(b->flat.narrow(0, static_cast<long>(offset_of_[k]), params_[k].numel()).view_as(params_[k]));
  }
}

void GradientSync::prepare(bool sync) {
  syncing_ = sync;
  next_launch_ = 0;
  std::fill(seen_.begin(), seen_.end(), false);
  for (auto& b : buckets_) {
    b->pending = b->params.size();
    b->work.reset();
  }
}

void GradientSync::on_gradient(std::size_t k, const at::Tensor& grad) {
  if (!syncing_ || seen_[k]) return;
  torch::NoGradGuard no_grad;
  seen_[k] = true;
  Bucket& b = *buckets_[bucket_of_[k]];
  at::Tensor slot = b.flat.narrow(0, static_cast<long>(offset_of_[k]), params_[k].numel());
  // The hook runs before AccumulateGrad: add what earlier micro-steps accumulated.
  const at::Tensor& earlier = params_[k].grad();
  if (earlier.defined())
    torch::add_out(slot, earlier.reshape(-1), grad.reshape(-1));
  else
    slot.copy_(grad.reshape(-1));
  --b.pending;
  launch_ready_buckets();
}

void GradientSync::launch_ready_buckets() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_]->pending == 0) launch(*buckets_[next_launch_++]);
  for (std::size_t i = 0; i < next_launch_; ++i) buckets_[i]->work->test();  // let MPI progress
}

void GradientSync::launch(Bucket& b) { b.work = comm_.allreduce_mean_async(b.flat); }

void GradientSync::finish() {
  if (!syncing_) return;
  FLEX_PROFILE("comm::gradient_allreduce");
  torch::NoGradGuard no_grad;
  // Gradients the hooks did not see: no overlap, or parameters unused by this graph.
  for (std::size_t i = next_launch_; i < buckets_.size(); ++i) {
    Bucket& b = *buckets_[i];
    for (std::size_t k : b.params) {
      if (seen_[k]) continue;
      at::Tensor slot = b.flat.narrow(0, static_cast<long>(offset_of_[k]), params_[k].numel());
      const at::Tensor& g = params_[k].grad();
      if (g.defined()) {
        slot.copy_(g.reshape(-1));
        seen_[k] = true;
      } else {
        slot.zero_();
      }
    }
    launch(b);
  }
  next_launch_ = buckets_.size();
  for (auto& b : buckets_) {
    b->work->wait();
    for (std::size_t k : b->params) {
      if (!seen_[k]) continue;
      at::Tensor avg = b->flat.narrow(0, static_cast<long>(offset_of_[k]), params_[k].numel()).view_as(params_[k]);
      at::Tensor& g = params_[k].mutable_grad();
      if (g.defined())
        g.copy_(avg);
      else
        g = avg.clone();
    }
    b->work.reset();
  }
  syncing_ = false;
}

}  // namespace flex::comm
