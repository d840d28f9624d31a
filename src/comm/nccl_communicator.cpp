// NCCL backend for device tensors. The communicator is bootstrapped through
// MPI (rank 0 draws the ncclUniqueId, MPI_Bcast shares it); reductions run
// on the communicator's own CUDA stream, fenced with events against the
// stream LibTorch computes on at the time of the call: its *current* stream
// (c10::cuda::getCurrentCUDAStream), which a caller (a CUDA graph capture, a
// prefetch stream guard) may have set to something other than the legacy
// default stream, as torch.distributed's ProcessGroupNCCL orders its work.
#include <torch/torch.h>

#include "flex/comm/communicator.hpp"
#include "flex/config.hpp"
#include "flex/core/error.hpp"

#if FLEX_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#if FLEX_TORCH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif
#endif

namespace flex::comm {

#if FLEX_HAVE_NCCL
namespace {

#define FLEX_CHECK_CUDA(call)                                                                     \
  do {                                                                                            \
    cudaError_t flex_cuda_rc_ = (call);                                                           \
    FLEX_CHECK(flex_cuda_rc_ == cudaSuccess, #call << " failed: " << cudaGetErrorString(flex_cuda_rc_)); \
  } while (0)
#define FLEX_CHECK_NCCL(call)                                                                     \
  do {                                                                                            \
    ncclResult_t flex_nccl_rc_ = (call);                                                          \
    FLEX_CHECK(flex_nccl_rc_ == ncclSuccess, #call << " failed: " << ncclGetErrorString(flex_nccl_rc_)); \
  } while (0)

// The stream LibTorch enqueues this device's kernels on now.
cudaStream_t torch_stream(const c10::Device& device) {
#if FLEX_TORCH_CUDA
  return c10::cuda::getCurrentCUDAStream(device.index()).stream();
#else
  // A LibTorch without CUDA has no CUDA tensors: make_nccl_communicator
  // refuses before a communicator exists, so this is never reached.
  FLEX_CHECK(false, "the NCCL communicator on " << device << " needs a LibTorch built with CUDA");
#endif
}

ncclDataType_t nccl_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kHalf: return ncclFloat16;
    case at::kLong: return ncclInt64;
    case at::kInt: return ncclInt32;
    case at::kByte: return ncclUint8;
    default: FLEX_CHECK(false, "NCCL communicator: unsupported dtype " << t.scalar_type());
  }
}

class Event {
 public:
  Event() { FLEX_CHECK_CUDA(cudaEventCreateWithFlags(&ev_, cudaEventDisableTiming)); }
  ~Event() { cudaEventDestroy(ev_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  // `waiter` runs nothing enqueued after this call until `signaller`'s work so far is done.
  void fence(cudaStream_t signaller, cudaStream_t waiter) {
    FLEX_CHECK_CUDA(cudaEventRecord(ev_, signaller));
    FLEX_CHECK_CUDA(cudaStreamWaitEvent(waiter, ev_, 0));
  }

 private:
  cudaEvent_t ev_{};
};

// The caller's stream (current when the collective was issued) waits for the
// reduction; the tensor stays referenced until it does, so the caching
// allocator cannot hand its memory to that stream's later work too early.
class NcclWork : public Work {
 public:
  NcclWork(at::Tensor t, cudaStream_t nccl_stream, cudaStream_t caller_stream)
      : t_(std::move(t)), stream_(nccl_stream), caller_(caller_stream) {}
  void wait() override {
    if (done_) return;
    done_event_.fence(stream_, caller_);
    done_ = true;
  }
  bool test() override { return done_; }
  ~NcclWork() override {
    if (!done_) done_event_.fence(stream_, caller_);
  }

 private:
  at::Tensor t_;
  cudaStream_t stream_, caller_;
  Event done_event_;
  bool done_ = false;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(MPI_Comm comm, c10::Device device) : device_(device) {
    FLEX_CHECK(device.is_cuda(), "NCCL communicator needs a CUDA device, got " << device);
    FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank_));
    FLEX_CHECK_MPI(MPI_Comm_size(comm, &size_));
    FLEX_CHECK_CUDA(cudaSetDevice(device.index()));
    ncclUniqueId id;
    if (rank_ == 0) FLEX_CHECK_NCCL(ncclGetUniqueId(&id));
    FLEX_CHECK_MPI(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, comm));
    FLEX_CHECK_NCCL(ncclCommInitRank(&nccl_, size_, id, rank_));
    FLEX_CHECK_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    ready_ = std::make_unique<Event>();  // events belong to the current device: after cudaSetDevice
  }
  ~NcclCommunicator() override {
    cudaStreamSynchronize(stream_);
    ncclCommDestroy(nccl_);
    cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  std::unique_ptr<Work> allreduce_mean_async(at::Tensor t) override {
    check_tensor(t);
    FLEX_CHECK(t.is_floating_point(), "mean all-reduce needs a floating-point tensor");
    const cudaStream_t caller = reduce(t, ncclAvg);
    return std::make_unique<NcclWork>(std::move(t), stream_, caller);
  }

  void allreduce_sum(at::Tensor t) override {
    check_tensor(t);
    const cudaStream_t caller = reduce(t, ncclSum);
    NcclWork(t, stream_, caller).wait();
  }

  void broadcast(at::Tensor t, int root) override {
    check_tensor(t);
    const cudaStream_t caller = torch_stream(device_);
    ready_->fence(caller, stream_);
    FLEX_CHECK_NCCL(ncclGroupStart());
    FLEX_CHECK_NCCL(ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t), root,
                                  nccl_, stream_));
    FLEX_CHECK_NCCL(ncclGroupEnd());
    NcclWork(t, stream_, caller).wait();
  }

 private:
  void check_tensor(const at::Tensor& t) const {
    FLEX_CHECK(t.device() == device_, "NCCL communicator on " << device_ << " got a tensor on " << t.device());
    FLEX_CHECK(t.is_contiguous(), "NCCL communicator needs contiguous tensors");
  }
  // Enqueues the reduction after the caller's stream's work so far; returns that stream.
  cudaStream_t reduce(const at::Tensor& t, ncclRedOp_t op) {
    const cudaStream_t caller = torch_stream(device_);
    ready_->fence(caller, stream_);
    FLEX_CHECK_NCCL(ncclGroupStart());
    FLEX_CHECK_NCCL(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t), op,
                                  nccl_, stream_));
    FLEX_CHECK_NCCL(ncclGroupEnd());
    return caller;
  }

  c10::Device device_;
  int rank_ = 0, size_ = 1;
  ncclComm_t nccl_{};
  cudaStream_t stream_{};
  std::unique_ptr<Event> ready_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm comm, c10::Device device) {
  FLEX_REQUIRE(FLEX_TORCH_CUDA, "tensors on " << device << " need a LibTorch built with CUDA; this flex build's "
                                "LibTorch has none (point CMAKE_PREFIX_PATH at a CUDA LibTorch, doc/install.md)");
  return std::make_unique<NcclCommunicator>(comm, device);
}

#else

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm, c10::Device device) {
  FLEX_REQUIRE(false, "tensors on " << device << " need the NCCL communicator, but this flex build has no "
                                       "CUDA/NCCL (reconfigure with CUDAToolkit_ROOT and NCCL found)");
}

#endif

}  // namespace flex::comm
