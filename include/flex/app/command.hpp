// A subcommand of the `flex` executable: the deck keys it reads and what it
// runs. One file per subcommand in src/app/commands/, listed by table.cpp;
// each reads its deck into the subsystem's config struct and calls its run().
#pragma once

#include <string>
#include <vector>

namespace flex {

class Deck;
class DeckSchema;
class Environment;

struct RunContext {
  const Deck& deck;
  const Environment& env;
  // Positional words after the subcommand for commands that take no deck
  // (e.g. `flex model parity ckpt.pt fixture.h5`).
  std::vector<std::string> args;
};

struct Command {
  const char* name;
  const char* summary;
  void (*declare_keys)(DeckSchema&);
  int (*run)(const RunContext&);
  // true: the first positional argument is the input deck.
  bool takes_deck = true;
  // Extra usage text for --help (positional arguments, examples).
  const char* usage = "";
  // --check beyond the deck's own keys (a suite parses its stages' decks); may be null.
  void (*check)(const Deck&) = nullptr;
};

const std::vector<Command>& command_table();

}  // namespace flex
