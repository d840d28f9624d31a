// `flex infer`: whole-field super-resolution and forecasting.
#include "commands.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/infer/config.hpp"
#include "flex/infer/run.hpp"

namespace flex::commands {

Command infer() {
  return {"infer",
          "super-resolve or forecast whole fields with a trained checkpoint (patches over ranks, ensembles)",
          infer::declare_keys,
          [](const RunContext& ctx) { return infer::run(infer::read_config(ctx.deck), ctx.env.comm()); }};
}

}  // namespace flex::commands
