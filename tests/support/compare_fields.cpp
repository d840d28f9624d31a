// compare_fields <a.h5> <b.h5> <tol>: exit 0 if the `fields` datasets have
// the same shape and agree to <tol> (max abs difference), else print why.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "flex/io/fields.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_fields a.h5 b.h5 tol\n");
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
    std::printf("compare_fields: %zu values, max |a - b| = %.3g\n", a.data.size(), worst);
    return worst <= std::atof(argv[3]) ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("compare_fields: %s\n", e.what());
    return 1;
  }
}
