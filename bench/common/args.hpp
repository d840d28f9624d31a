// The benchmarks' command line: key=value words over a table of defaults;
// an unknown key prints the usage and exits 2.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace flex::bench {

using Args = std::map<std::string, std::string>;

Args parse_args(int argc, char** argv, Args defaults, const char* usage);

// "a,b,c" -> {a, b, c}
std::vector<std::string> split_list(const std::string& list);

}  // namespace flex::bench
