// `flex train`: deck keys train.*, optim.*, data.* (plus model.*) and the run.
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_train_keys(DeckSchema& schema);
// 0: finished; 3: stopped cleanly after a signal-triggered checkpoint.
int run_train(const RunContext& ctx);
}  // namespace flex
