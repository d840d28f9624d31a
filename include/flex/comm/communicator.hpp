// Tensor communicator for data-parallel training (after TorchFort's
// distributed.h): one interface, two backends. MPI reduces CPU tensors in
// place (MPI_Allreduce then a divide); NCCL reduces device tensors on its own
// CUDA stream, fenced with events against the stream LibTorch computes on.
// Reductions may be started asynchronously so gradient buckets travel while
// the backward pass is still running; Work::wait() completes one.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <mpi.h>

#include <memory>
#include <string>

namespace flex::comm {

// An in-flight reduction. wait() blocks until the tensor holds the result
// (for NCCL: until LibTorch's stream is ordered after it).
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  // Lets the backend progress without blocking (MPI needs calls to progress).
  virtual bool test() { return false; }
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;

  // Element-wise mean over ranks, in place. `t` must be contiguous.
  virtual std::unique_ptr<Work> allreduce_mean_async(at::Tensor t) = 0;
  void allreduce_mean(at::Tensor t) { allreduce_mean_async(std::move(t))->wait(); }
  // Element-wise sum over ranks, in place, blocking.
  virtual void allreduce_sum(at::Tensor t) = 0;
  // Root's values on every rank, in place, blocking.
  virtual void broadcast(at::Tensor t, int root) = 0;
};

// MPI for CPU tensors; NCCL for CUDA tensors when this build has it (the MPI
// communicator bootstraps it). `comm` is duplicated: the communicator's
// traffic never mixes with other collectives on the caller's communicator.
std::unique_ptr<Communicator> make_communicator(MPI_Comm comm, c10::Device device);
std::unique_ptr<Communicator> make_mpi_communicator(MPI_Comm comm);
std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm comm, c10::Device device);

}  // namespace flex::comm
