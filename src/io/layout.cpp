#include "flex/io/layout.hpp"

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"

namespace flex::io {

const std::vector<std::string>& format_words() {
  static const std::vector<std::string> words = {"auto", "flex", "superbench", "pdebench", "era5"};
  return words;
}

Format parse_format(const std::string& word) {
  const auto& w = format_words();
  for (size_t i = 0; i < w.size(); ++i)
    if (w[i] == word) return static_cast<Format>(i);
  FLEX_REQUIRE(false, "unknown field file format '" << word << "' (auto | flex | superbench | pdebench | era5)");
}

const char* format_name(Format f) { return format_words()[static_cast<size_t>(f)].c_str(); }

void declare_layout_keys(DeckSchema& s, const std::string& prefix, const std::string& file_key) {
  s.add_choice(prefix + "format", "auto", format_words(),
               "layout of " + file_key + " (doc/data.md); auto: from its datasets (`fields`: superbench, or era5 "
               "when lon = 2 (lat - 1); `w`: flex; `velocity`: pdebench)");
  s.add_string(prefix + "dataset", "", "dataset in " + file_key + " (empty: the format's: `fields`, `w`, `velocity`)");
  s.add_int(prefix + "batch_index", 0, "pdebench: entry of the batch axis of " + file_key + " to read").range(0, {});
}

FieldLayout read_layout(const Deck& deck, const std::string& prefix) {
  FieldLayout layout;
  layout.format = parse_format(deck.get_string(prefix + "format"));
  layout.dataset = deck.get_string(prefix + "dataset");
  layout.batch_index = deck.get_int(prefix + "batch_index");
  const std::string key = prefix + "batch_index";
  layout.batch_index_about =
      deck.where(key) + ": key '" + key + "' = " + std::to_string(layout.batch_index);
  return layout;
}

Periodicity periodicity_of(Format f) {
  switch (f) {
    case Format::PdeBench: return {false, false};
    case Format::Era5: return {false, true};  // latitude rows end at the poles; longitude wraps
    default: return {true, true};
  }
}

std::vector<std::string> default_channel_names(Format f, long channels) {
  if (f == Format::Era5 && channels == 3) return {"ke10m", "t2m", "tcwv"};  // SuperBench's order (SPEC §2)
  if (channels == 3) return {"u", "v", "w"};
  if (channels == 1) return {"w"};
  std::vector<std::string> out;
  for (long i = 0; i < channels; ++i) out.push_back("c" + std::to_string(i));
  return out;
}

}  // namespace flex::io
