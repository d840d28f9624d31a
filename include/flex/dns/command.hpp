// `flex dns`: the NSKT reference DNS as a subcommand.
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_dns_keys(DeckSchema& schema);
int run_dns(const RunContext& ctx);
}  // namespace flex
