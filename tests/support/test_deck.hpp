// Decks for config tests: run.* plus one subsystem's keys, a base set of
// values, and the test's own overrides, which replace base values of the same
// key (a deck may set a key only once).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"

namespace flex::testing {

inline Deck test_deck(void (*declare_keys)(DeckSchema&), std::vector<std::string> base,
                      const std::vector<std::string>& overrides) {
  DeckSchema schema;
  declare_run_keys(schema);
  declare_keys(schema);
  for (const auto& o : overrides) {
    const std::string key = o.substr(0, o.find('='));
    base.erase(std::remove_if(base.begin(), base.end(), [&](const std::string& b) { return b.rfind(key + "=", 0) == 0; }),
               base.end());
    base.push_back(o);
  }
  return Deck::parse(schema, "", base);
}

// The InputError message `read` raises, or "" if it accepts its input.
template <class Read>
std::string rejection(Read&& read) {
  try {
    read();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace flex::testing
