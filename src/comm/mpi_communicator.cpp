// MPI backend: CPU tensors reduced in place, MPI_Iallreduce so a bucket can be
// in flight while autograd keeps computing; the mean is a divide afterwards.
#include <torch/torch.h>

#include "flex/comm/communicator.hpp"
#include "flex/core/error.hpp"

namespace flex::comm {
namespace {

MPI_Datatype mpi_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kLong: return MPI_INT64_T;
    case at::kInt: return MPI_INT32_T;
    case at::kByte: return MPI_UINT8_T;
    default: FLEX_CHECK(false, "MPI communicator: unsupported dtype " << t.scalar_type());
  }
}

void check_tensor(const at::Tensor& t) {
  FLEX_CHECK(t.device().is_cpu(), "MPI communicator needs CPU tensors, got " << t.device()
                                      << " (use the NCCL backend for device tensors)");
  FLEX_CHECK(t.is_contiguous(), "MPI communicator needs contiguous tensors");
  FLEX_CHECK(t.numel() <= std::numeric_limits<int>::max(), "tensor too large for one MPI call");
}

class MpiWork : public Work {
 public:
  MpiWork(at::Tensor t, MPI_Request req, int size) : t_(std::move(t)), req_(req), size_(size) {}
  ~MpiWork() override {
    if (!done_) MPI_Wait(&req_, MPI_STATUS_IGNORE);
  }
  void wait() override {
    if (done_) return;
    FLEX_CHECK_MPI(MPI_Wait(&req_, MPI_STATUS_IGNORE));
    finish();
  }
  bool test() override {
    if (done_) return true;
    int flag = 0;
    FLEX_CHECK_MPI(MPI_Test(&req_, &flag, MPI_STATUS_IGNORE));
    if (flag) finish();
    return done_;
  }

 private:
  void finish() {
    done_ = true;
    if (size_ > 1) t_.div_(size_);
  }
  at::Tensor t_;
  MPI_Request req_;
  int size_;
  bool done_ = false;
};

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm) {
    FLEX_CHECK_MPI(MPI_Comm_dup(comm, &comm_));
    FLEX_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    FLEX_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
    FLEX_CHECK_MPI(MPI_Comm_size(comm_, &size_));
  }
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  std::unique_ptr<Work> allreduce_mean_async(at::Tensor t) override {
    check_tensor(t);
    FLEX_CHECK(t.is_floating_point(), "mean all-reduce needs a floating-point tensor");
    MPI_Request req;
    FLEX_CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), mpi_type(t), MPI_SUM,
                                  comm_, &req));
    return std::make_unique<MpiWork>(std::move(t), req, size_);
  }

  void allreduce_sum(at::Tensor t) override {
    check_tensor(t);
    FLEX_CHECK_MPI(
        MPI_Allreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), mpi_type(t), MPI_SUM, comm_));
  }

  void broadcast(at::Tensor t, int root) override {
    check_tensor(t);
    FLEX_CHECK_MPI(MPI_Bcast(t.data_ptr(), static_cast<int>(t.numel()), mpi_type(t), root, comm_));
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(MPI_Comm comm) { return std::make_unique<MpiCommunicator>(comm); }

std::unique_ptr<Communicator> make_communicator(MPI_Comm comm, c10::Device device) {
  if (device.is_cpu()) return make_mpi_communicator(comm);
  return make_nccl_communicator(comm, device);
}

}  // namespace flex::comm
