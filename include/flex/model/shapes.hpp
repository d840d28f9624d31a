// The state-dict entries (names and shapes) a FlexConfig yields, computed
// from the configuration alone: counts parameters of any size instantly and
// without allocating (FLEX-L has 1.1e9). Tests hold it equal to the built
// modules' state dicts and to tests/reference/*.tsv.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flex/model/config.hpp"

namespace flex::model {

struct EntryShape {
  std::string name;
  std::vector<std::int64_t> shape;
  bool buffer = false;  // Fourier features: in the checkpoint, not trained
  std::int64_t numel() const;
};

// In PyTorch state_dict order, as state_dict(Flex(config)) lists them.
std::vector<EntryShape> flex_state_shapes(const FlexConfig& config);

// Trainable parameters (buffers excluded), optionally only those whose name
// starts with `prefix` (e.g. "decoder.").
std::int64_t count_parameters(const FlexConfig& config, const std::string& prefix = "");

}  // namespace flex::model
