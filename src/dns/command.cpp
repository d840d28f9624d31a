#include "flex/dns/command.hpp"

#include "flex/app/command.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/dns/config.hpp"
#include "flex/dns/run.hpp"

namespace flex {

void declare_dns_keys(DeckSchema& schema) { dns::declare_keys(schema); }

int run_dns(const RunContext& ctx) {
  const dns::RunConfig config = dns::read_config(ctx.deck, ctx.env.size());
  dns::run_dns_simulation(config, ctx.deck.resolved_text(), ctx.env.comm());
  return 0;
}

}  // namespace flex
