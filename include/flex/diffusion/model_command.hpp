// `flex model <action> ...`: the network as a user-facing object.
//   parity <checkpoint.pt> <fixture.h5>   reproduce the reference's outputs (exit 0 iff within 1e-4 of std)
//   count [tiny|S|M|L]                    parameters per sub-network, from shapes (no allocation)
//   init <out.pt>                         write a freshly initialised checkpoint (seeded by run.seed)
//   check <checkpoint.pt>                 load a checkpoint into the configured network, strictly
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_model_command_keys(DeckSchema& schema);
int run_model_command(const RunContext& ctx);
extern const char* const kModelCommandUsage;
}  // namespace flex
