#include "args.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace flex::bench {

Args parse_args(int argc, char** argv, Args a, const char* usage) {
  for (int i = 1; i < argc; ++i) {
    const std::string w = argv[i];
    const auto eq = w.find('=');
    if (eq == std::string::npos || !a.count(w.substr(0, eq))) {
      std::fprintf(stderr, "%s: unknown argument '%s'; usage: %s\n", argv[0], argv[i], usage);
      std::exit(2);
    }
    a[w.substr(0, eq)] = w.substr(eq + 1);
  }
  return a;
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string w; std::getline(in, w, ',');) out.push_back(w);
  return out;
}

}  // namespace flex::bench
