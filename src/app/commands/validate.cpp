// `flex validate`: the validation suite and its report.
#include "commands.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/validate/config.hpp"
#include "flex/validate/run.hpp"

namespace flex::commands {

Command validate() {
  return {"validate", "run the validation suite (DNS verification, parity, skill) and write a report",
          validate::declare_keys,
          // 0: every check passed or was skipped; 4: the suite ran and something failed.
          [](const RunContext& ctx) { return validate::run(validate::read_config(ctx.deck), ctx.env.comm()); },
          true, "",
          // --check: the stages' decks too, so a suite's typo shows before hours of stages.
          [](const Deck& deck) { (void)validate::read_config(deck); }};
}

}  // namespace flex::commands
