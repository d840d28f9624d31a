#include "flex/app/runtime.hpp"

#include <torch/torch.h>

#include "flex/app/command.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"

namespace flex {

int local_rank(const RunContext& ctx) {
  MPI_Comm node;
  FLEX_CHECK_MPI(MPI_Comm_split_type(ctx.env.comm(), MPI_COMM_TYPE_SHARED, ctx.env.rank(), MPI_INFO_NULL, &node));
  int r = 0;
  MPI_Comm_rank(node, &r);
  MPI_Comm_free(&node);
  return r;
}

c10::Device configure_runtime(const RunContext& ctx) {
  const long threads = ctx.deck.get_int("run.threads");
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));
  torch::manual_seed(derive_seed(static_cast<std::uint64_t>(ctx.deck.get_int("run.seed")), Stream::kModelInit, {}));
  if (ctx.deck.get_string("run.device") == "cpu") return c10::Device(c10::kCPU);
  FLEX_REQUIRE(torch::cuda::is_available(),
               ctx.deck.source() << ": run.device = cuda, but this LibTorch build sees no CUDA device "
                                    "(use run.device=cpu or a CUDA LibTorch)");
  const int gpus = static_cast<int>(torch::cuda::device_count());
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank(ctx) % gpus));
}

}  // namespace flex
