// `flex infer`: super-resolves or forecasts whole fields with a trained FLEX
// checkpoint: patch decomposition over ranks, halo-aware stitching, ensembles,
// autoregressive rollouts; writes prediction, ensemble and truth field files.
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_infer_keys(DeckSchema& schema);
int run_infer(const RunContext& ctx);
}  // namespace flex
