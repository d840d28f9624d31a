// poison_field <in.h5> <out.h5> [at=n,c,h,w]... [value=nan|inf|-inf] [attr.<name>=<number>]... [dataset=<name>]
// Copies a field file, writes `value` (default NaN) at each `at` and sets each
// numeric attribute on the dataset: the bad-input fixtures of the CLI tests.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "poison.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: poison_field in.h5 out.h5 [at=n,c,h,w]... [value=nan|inf|-inf] "
                         "[attr.<name>=<number>]... [dataset=<name>]\n");
    return 2;
  }
  std::vector<flex::testing::Poke> pokes;
  std::vector<std::pair<std::string, double>> attributes;
  std::string dataset = "fields";
  float value = std::numeric_limits<float>::quiet_NaN();
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    const std::string key = a.substr(0, eq), v = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (key == "at") {
      flex::testing::Poke p;
      char comma = 0;
      std::istringstream in(v);
      if (!(in >> p.snapshot >> comma >> p.channel >> comma >> p.row >> comma >> p.col)) {
        std::fprintf(stderr, "poison_field: at=%s is not n,c,h,w\n", v.c_str());
        return 2;
      }
      pokes.push_back(p);
    } else if (key == "value") {
      const float inf = std::numeric_limits<float>::infinity();
      value = v == "nan" ? std::numeric_limits<float>::quiet_NaN()
                         : v == "inf" ? inf : v == "-inf" ? -inf : std::strtof(v.c_str(), nullptr);
    } else if (key.rfind("attr.", 0) == 0) {
      attributes.emplace_back(key.substr(5), std::atof(v.c_str()));
    } else if (key == "dataset") {
      dataset = v;
    } else {
      std::fprintf(stderr, "poison_field: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  for (auto& p : pokes) p.value = value;
  try {
    flex::testing::poison_copy(argv[1], argv[2], pokes, attributes, dataset);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("poison_field: %s -> %s, %zu value(s), %zu attribute(s)\n", argv[1], argv[2], pokes.size(),
              attributes.size());
  return 0;
}
