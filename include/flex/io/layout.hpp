// The field-file layouts users bring (doc/data.md), each read as the same
// logical [N, C, H, W] float32 view by io::FieldReader:
//   flex        `w` [T, H, W] (C = 1), periodic;
//   superbench  `fields` [N, C, H, W] (NSKT: u, v, w), periodic;
//   era5        SuperBench weather `fields` [N, 3, 721, 1440], latitude rows
//               cropped to 720 (see kEra5Rows), periodic in longitude only;
//   pdebench    `velocity` [batch, t, x, y, 2] of one batch entry, seen as
//               channels (u, v, w) with w = dv/dx - du/dy derived on read;
//               zero-velocity walls, periodic in neither axis.
#pragma once

#include <string>
#include <vector>

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::io {

enum class Format { Auto, Flex, SuperBench, PdeBench, Era5 };

// Deck words auto | flex | superbench | pdebench | era5, and back.
Format parse_format(const std::string& word);
const char* format_name(Format f);
const std::vector<std::string>& format_words();

struct FieldLayout {
  Format format = Format::Auto;  // Auto: from the datasets present (FieldReader)
  std::string dataset;           // "": the format's own (`fields`, `w`, `velocity`)
  long batch_index = 0;          // pdebench: entry of the batch axis
  // How a message about batch_index starts, e.g. "key 'infer.batch_index' = 3
  // (deck)"; "" names the index alone.
  std::string batch_index_about;
};

// The keys <prefix>format, <prefix>dataset and <prefix>batch_index (prefix
// e.g. "infer.", "analyze.truth_"), and the layout they give; messages about
// batch_index name the key and where its value came from.
void declare_layout_keys(DeckSchema& schema, const std::string& prefix, const std::string& file_key);
FieldLayout read_layout(const Deck& deck, const std::string& prefix);

// Whether the field wraps along rows (first spatial axis) and columns.
struct Periodicity {
  bool rows = true, cols = true;
};
Periodicity periodicity_of(Format f);

// ERA5's 721 latitudes (90 N to 90 S) less the South Pole row, so the field
// divides by the x8 SR factor and 2^k patches (SuperBench drops it too).
constexpr long kEra5Rows = 720;

// Channel names a format's files carry when the file has no `channels` attribute.
std::vector<std::string> default_channel_names(Format f, long channels);

}  // namespace flex::io
