#include "flex/infer/run.hpp"

#include "flex/comm/runtime.hpp"
#include "flex/core/profiler.hpp"
#include "job.hpp"

namespace flex::infer {

int run(const InferConfig& config, MPI_Comm comm) {
  FLEX_PROFILE("infer");
  config.require_inputs();
  const auto device = comm::configure_runtime(config.run, comm);
  if (config.task == Task::SuperResolution)
    super_resolve_file(config, device, comm);
  else
    forecast_file(config, device, comm);
  return 0;
}

}  // namespace flex::infer
