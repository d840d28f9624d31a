// compare_fields <a.h5> <b.h5> <tol> [std]: exit 0 if the `fields` datasets
// have the same shape and agree to <tol> (max abs difference; with `std`,
// max abs difference over b's standard deviation), else print why.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "flex/io/fields.hpp"

int main(int argc, char** argv) {
  const bool relative = argc == 5 && std::string(argv[4]) == "std";
  if (argc != 4 && !relative) {
    std::fprintf(stderr, "usage: compare_fields a.h5 b.h5 tol [std]\n");
    return 2;
  }
  try {
    const auto a = flex::io::read_array(argv[1], "fields"), b = flex::io::read_array(argv[2], "fields");
    if (a.shape != b.shape) {
      std::printf("compare_fields: shapes differ\n");
      return 1;
    }
    double worst = 0;
    for (size_t i = 0; i < a.data.size(); ++i) worst = std::fmax(worst, std::fabs(a.data[i] - b.data[i]));
    double mean = 0, var = 0;
    for (double v : b.data) mean += v / static_cast<double>(b.data.size());
    for (double v : b.data) var += (v - mean) * (v - mean) / static_cast<double>(b.data.size());
    const double scale = relative ? std::sqrt(var) : 1.0;
    std::printf("compare_fields: %zu values, max |a - b| = %.3g%s\n", a.data.size(), worst / scale,
                relative ? " of b's std" : "");
    return worst / scale <= std::atof(argv[3]) ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("compare_fields: %s\n", e.what());
    return 1;
  }
}
