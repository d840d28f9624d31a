#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/io/inspect.hpp"

namespace flex::io {

void declare_inspect_keys(DeckSchema& s) {
  s.add_path("inspect.file", "", "field file to inspect (HDF5, `fields` [N,C,H,W] or `w` [T,H,W])");
  s.add_string("inspect.dataset", "", "dataset name (empty: `fields`, else `w`)");
  s.add_ints("inspect.expect", "", "expected shape N,C,H,W (-1 for any); a mismatch is an error").range(-1, {});
}

InspectConfig read_inspect_config(const Deck& deck) {
  InspectConfig c;
  c.run = read_run_settings(deck);
  c.file = deck.get_string("inspect.file");
  FLEX_REQUIRE(!c.file.empty(), deck.where("inspect.file") << ": key 'inspect.file' is required");
  c.dataset = deck.get_string("inspect.dataset");
  c.expect = deck.get_ints("inspect.expect");
  FLEX_REQUIRE(c.expect.empty() || c.expect.size() == 4,
               deck.where("inspect.expect") << ": key 'inspect.expect' needs 4 entries N,C,H,W");
  return c;
}

}  // namespace flex::io
