// `flex dns`: the NSKT reference DNS.
#include "commands.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/dns/config.hpp"
#include "flex/dns/run.hpp"

namespace flex::commands {

Command dns() {
  return {"dns", "2D Navier–Stokes–Kraichnan turbulence DNS: writes reference fields", dns::declare_keys,
          [](const RunContext& ctx) {
            return dns::run(dns::read_config(ctx.deck, ctx.env.size()), ctx.env.comm());
          }};
}

}  // namespace flex::commands
