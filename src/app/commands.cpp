// The one table of `flex` subcommands. Each subsystem contributes its
// declare-keys and run functions through its <subsystem>/command.hpp.
#include "flex/app/command.hpp"

#include "flex/analysis/command.hpp"
#include "flex/app/info_command.hpp"
#include "flex/core/deck.hpp"
#include "flex/diffusion/model_command.hpp"
#include "flex/dns/command.hpp"
#include "flex/infer/command.hpp"
#include "flex/io/inspect_command.hpp"
#include "flex/train/command.hpp"
#include "flex/validate/command.hpp"

namespace flex {

const std::vector<Command>& commands() {
  // In the order of the pipeline (DNS -> train -> infer -> analyze), then tools.
  static const std::vector<Command> table = {
      {"dns", "2D Navier–Stokes–Kraichnan turbulence DNS: writes reference fields", declare_dns_keys, run_dns},
      {"train", "train FLEX data-parallel (SR, forecasting or multitask) with checkpoints and restart", declare_train_keys,
       run_train},
      {"infer", "super-resolve or forecast whole fields with a trained checkpoint (patches over ranks, ensembles)",
       declare_infer_keys, run_infer},
      {"analyze", "metrics, spectra and ensemble statistics of predictions against a truth file", declare_analyze_keys,
       run_analyze},
      {"validate", "run the validation suite (DNS verification, parity, skill) and write a report",
       declare_validate_keys, run_validate},
      {"model", "the FLEX network: reference parity check, parameter counts, checkpoint init/check",
       declare_model_command_keys, run_model_command, /*takes_deck=*/false, kModelCommandUsage},
      {"inspect", "shape, metadata and per-channel statistics of a field file", declare_inspect_keys, run_inspect},
      {"info", "report the build, devices, threads and BLAS this run would use", declare_info_keys, run_info},
  };

  return table;
}

void declare_common_keys(DeckSchema& s) {
  s.add_int("run.seed", 1234, "the one seed every random stream of the run derives from").range(0, {});
  s.add_path("run.output_dir", "flex-output", "directory for every output of the run");
  s.add_bool("run.overwrite", false, "replace existing outputs (written atomically either way)");
  s.add_int("run.threads", 0, "CPU threads per rank for LibTorch/OpenMP (0: OMP_NUM_THREADS or all cores)")
      .range(0, 4096);
  s.add_choice("run.device", "cpu", {"cpu", "cuda"},
               "where tensors live; cuda picks GPU (local rank mod GPUs per node)");
  s.add_bool("run.profile", true, "print the region timer table (min/avg/max over ranks) at exit");
  s.add_bool("run.quiet", false, "suppress informational output on rank 0");
}

}  // namespace flex
