#include "flex/io/channel_selection.hpp"

#include <algorithm>
#include <sstream>

#include "flex/core/error.hpp"

namespace flex::io {

namespace {

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k) out += (k ? ", " : "") + std::to_string(k) + " = " + names[k];
  return out;
}

}  // namespace

std::vector<std::int64_t> select_channels(const std::string& text, const std::vector<std::string>& names,
                                          const std::string& about, const std::string& path) {
  const auto n = static_cast<std::int64_t>(names.size());
  FLEX_REQUIRE(n > 0, path << ": the file has no channels");
  const std::string t = trimmed(text);
  if (t == "all") {
    std::vector<std::int64_t> all(static_cast<size_t>(n));
    for (std::int64_t c = 0; c < n; ++c) all[static_cast<size_t>(c)] = c;
    return all;
  }
  if (t == "auto") {
    for (const char* w : {"w", "omega", "vorticity"}) {
      const auto it = std::find(names.begin(), names.end(), w);
      if (it != names.end()) return {it - names.begin()};
    }
    return {n == 3 ? 2 : 0};
  }
  std::vector<std::int64_t> out;
  std::stringstream list(t);
  std::string item;
  while (std::getline(list, item, ',')) {
    item = trimmed(item);
    std::int64_t c = -1;
    const auto named = std::find(names.begin(), names.end(), item);
    if (named != names.end()) {
      c = named - names.begin();
    } else if (!item.empty() && item.find_first_not_of("0123456789") == std::string::npos) {
      c = std::stoll(item);
    }
    FLEX_REQUIRE(c >= 0 && c < n, about << ": '" << item << "' is not a channel of " << path << " (" << listed(names)
                                        << "; or auto, all)");
    FLEX_REQUIRE(std::find(out.begin(), out.end(), c) == out.end(),
                 about << ": channel '" << item << "' is selected twice");
    out.push_back(c);
  }
  FLEX_REQUIRE(!out.empty(), about << ": selects no channel of " << path << " (" << listed(names) << ")");
  return out;
}

std::string channels_text(const std::vector<std::string>& names) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k) out += (k ? "," : "") + names[k];
  return out;
}

std::vector<double> per_channel(const std::vector<double>& values, std::size_t channels, const std::string& about) {
  if (values.size() == 1) return std::vector<double>(channels, values.front());
  FLEX_REQUIRE(values.size() == channels, about << ": " << values.size() << " values for " << channels
                                                 << " channel(s); give one, or one per channel");
  return values;
}

}  // namespace flex::io
