// `flex analyze`: metrics, spectra and ensemble statistics against a truth file.
#include "commands.hpp"
#include "flex/analysis/config.hpp"
#include "flex/analysis/run.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"

namespace flex::commands {

Command analyze() {
  return {"analyze", "metrics, spectra and ensemble statistics of predictions against a truth file",
          analysis::declare_keys,
          [](const RunContext& ctx) { return analysis::run(analysis::read_config(ctx.deck), ctx.env.comm()); }};
}

}  // namespace flex::commands
