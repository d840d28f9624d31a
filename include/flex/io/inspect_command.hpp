// `flex inspect`: shape, metadata and per-channel statistics of a field file,
// computed in parallel (each rank reads its share of snapshots).
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_inspect_keys(DeckSchema& schema);
int run_inspect(const RunContext& ctx);
}  // namespace flex
