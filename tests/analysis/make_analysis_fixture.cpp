// Writes the `flex analyze` test files (fixture_files.hpp) into argv[1].
#include <cstdio>

#include "fixture_files.hpp"
#include "flex/core/environment.hpp"

int main(int argc, char** argv) {
  flex::Environment env(argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_analysis_fixture <dir>\n");
    return 2;
  }
  flex::analysis::testing::write_fixture(argv[1], env.comm());
  return 0;
}
