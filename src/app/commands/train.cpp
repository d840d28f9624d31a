// `flex train`: data-parallel training with checkpoints and restart.
#include "commands.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/train/config.hpp"
#include "flex/train/run.hpp"

namespace flex::commands {

Command train() {
  return {"train", "train FLEX data-parallel (SR, forecasting or multitask) with checkpoints and restart",
          train::declare_keys,
          // 0: finished; 3: stopped cleanly after a signal-triggered checkpoint.
          [](const RunContext& ctx) { return train::run(train::read_config(ctx.deck), ctx.env.comm()); }};
}

}  // namespace flex::commands
