// Which channels of a field file a job reads, from deck text resolved against
// the file's channel names (FieldReader::channel_names), and the
// per-channel values (normalisation) that go with them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flex::io {

// "auto": the vorticity (a channel named w, omega or vorticity; else channel
// 2 of three, else 0); "all": every channel in file order; otherwise a comma
// list of indices or names ("2", "t2m", "u,v"), each once. A bad entry is an
// InputError that starts with `about` (e.g. "key 'infer.channel' = x (deck)")
// and names `path`.
std::vector<std::int64_t> select_channels(const std::string& text, const std::vector<std::string>& names,
                                          const std::string& about, const std::string& path);

// Channel names as deck text, "t2m,tcwv": what select_channels reads back.
std::string channels_text(const std::vector<std::string>& names);

// One value per selected channel: a single value applies to all of them; any
// other count than 1 or `channels` is an InputError starting with `about`.
std::vector<double> per_channel(const std::vector<double>& values, std::size_t channels, const std::string& about);

}  // namespace flex::io
