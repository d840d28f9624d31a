// Bad-input fixtures: a copy of a field file with NaN/Inf written into chosen
// values and numeric attributes set on its dataset, every other byte kept (so
// the `Re`, `time` and `channels` attributes travel along). Serial HDF5: call
// it on one rank.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace flex::testing {

struct Poke {
  long snapshot = 0, channel = 0, row = 0, col = 0;  // channel ignored for a [T, H, W] dataset
  float value = 0;
};

void poison_copy(const std::string& in, const std::string& out, const std::vector<Poke>& pokes,
                 const std::vector<std::pair<std::string, double>>& attributes = {},
                 const std::string& dataset = "fields");

}  // namespace flex::testing
