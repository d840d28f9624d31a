#include "flex/comm/runtime.hpp"

#include <torch/torch.h>

#include "flex/core/config.hpp"
#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"

namespace flex::comm {

int local_rank(MPI_Comm comm) {
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  MPI_Comm node;
  FLEX_CHECK_MPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  int r = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(node, &r));
  FLEX_CHECK_MPI(MPI_Comm_free(&node));
  return r;
}

c10::Device configure_runtime(const RunSettings& run, MPI_Comm comm) {
  if (run.threads > 0) at::set_num_threads(static_cast<int>(run.threads));
  torch::manual_seed(derive_seed(run.seed, Stream::kModelInit, {}));
  if (run.device == "cpu") return c10::Device(c10::kCPU);
  FLEX_REQUIRE(torch::cuda::is_available(), run.deck_source << ": run.device = cuda, but this LibTorch build sees no "
                                                               "CUDA device (use run.device=cpu or a CUDA LibTorch)");
  const int gpus = static_cast<int>(torch::cuda::device_count());
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank(comm) % gpus));
}

}  // namespace flex::comm
