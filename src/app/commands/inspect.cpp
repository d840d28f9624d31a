// `flex inspect`: shape, metadata and statistics of a field file.
#include "commands.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/io/inspect.hpp"

namespace flex::commands {

Command inspect() {
  return {"inspect", "shape, metadata and per-channel statistics of a field file", io::declare_inspect_keys,
          [](const RunContext& ctx) { return io::inspect(io::read_inspect_config(ctx.deck), ctx.env.comm()); }};
}

}  // namespace flex::commands
