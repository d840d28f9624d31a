#include "flex/core/config.hpp"

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"

namespace flex {

void declare_run_keys(DeckSchema& s) {
  s.add_int("run.seed", 1234, "the one seed every random stream of the run derives from").range(0, {});
  s.add_path("run.output_dir", "flex-output", "directory for every output of the run");
  s.add_bool("run.overwrite", false, "replace existing outputs (written atomically either way)");
  s.add_int("run.threads", 0, "CPU threads per rank for LibTorch/OpenMP (0: OMP_NUM_THREADS or all cores)")
      .range(0, 4096);
  s.add_choice("run.device", "cpu", {"cpu", "cuda"},
               "where tensors live; cuda picks GPU (local rank mod GPUs per node)");
  s.add_choice("run.precision", "fp32", {"fp32", "bf16", "fp16"},
               "the network's arithmetic (autocast; weights, optimiser, EMA, losses and sampler stay fp32); "
               "fp16 (CUDA only) adds loss scaling");
  s.add_choice("run.memory_format", "auto", {"auto", "nchw", "nhwc"},
               "activation layout; auto times a GroupNorm+SiLU+conv layer in both at start-up and takes nhwc "
               "only when it is clearly (>25 %) faster");
  s.add_bool("run.profile", true, "print the region timer table (min/avg/max over ranks) at exit");
  s.add_bool("run.quiet", false, "suppress informational output on rank 0");
  s.add_bool("run.check_finite", true,
             "scan every input range the run will read for NaN/Inf before any work (its cost is logged)");
}

RunSettings read_run_settings(const Deck& deck) {
  RunSettings r;
  r.seed = static_cast<std::uint64_t>(deck.get_int("run.seed"));
  r.output_dir = deck.get_string("run.output_dir");
  r.overwrite = deck.get_bool("run.overwrite");
  r.threads = deck.get_int("run.threads");
  r.device = deck.get_string("run.device");
  r.precision = deck.get_string("run.precision");
  r.memory_format = deck.get_string("run.memory_format");
  r.profile = deck.get_bool("run.profile");
  r.quiet = deck.get_bool("run.quiet");
  r.check_finite = deck.get_bool("run.check_finite");
  r.deck_source = deck.source();
  for (const auto& key : deck.keys()) r.origins[key] = deck.where(key);
  r.deck_text = deck.resolved_text();
  FLEX_REQUIRE(r.precision != "fp16" || r.device == "cuda",
               r.about("run.precision") << " = fp16 runs on CUDA only (with loss scaling); on run.device = "
                                        << r.device << " use bf16");
  return r;
}

std::string RunSettings::about(const std::string& key) const {
  const auto it = origins.find(key);
  return (it == origins.end() ? deck_source : it->second) + ": key '" + key + "'";
}

}  // namespace flex
