// `flex info`: what this build and this launch would run with.
#include "commands.hpp"

#include <torch/torch.h>

#include <Kokkos_Core.hpp>

#include "flex/comm/runtime.hpp"
#include "flex/config.hpp"
#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/log.hpp"
#include "flex/core/system_info.hpp"

namespace flex::commands {

namespace {

int report(const RunContext& ctx) {
  const auto device = comm::configure_runtime(read_run_settings(ctx.deck), ctx.env.comm());
  log::info("flex ", FLEX_VERSION_STRING, " (commit ", sysinfo::build_commit(), ") on ", sysinfo::hostname(), ", ", ctx.env.size(), " rank(s)");
  log::info("LibTorch ", TORCH_VERSION, ", intra-op threads ", at::get_num_threads(), ", device ", device.str());
  log::info("BLAS: ", sysinfo::active_blas());
  log::info("CPU features: ", sysinfo::cpu_features(),
            sysinfo::cpu_has_native_bf16() ? " (bf16 in hardware)" : " (no bf16 instructions: run.precision = bf16 is emulated)");
  log::info("Kokkos execution space: ", Kokkos::DefaultExecutionSpace::name());
  log::info("CUDA paths compiled: ", FLEX_HAVE_CUDA ? "yes" : "no", ", NCCL: ", FLEX_HAVE_NCCL ? "yes" : "no",
            ", CUDA available at run time: ", torch::cuda::is_available() ? "yes" : "no");
  log::info("MPI thread level provided: ", ctx.env.thread_level());
  return 0;
}

}  // namespace

Command info() {
  return {"info", "report the build, devices, threads and BLAS this run would use", [](DeckSchema&) {}, report};
}

}  // namespace flex::commands
