// `flex info`: what this build and this launch would run with.
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_info_keys(DeckSchema& schema);
int run_info(const RunContext& ctx);
}  // namespace flex
