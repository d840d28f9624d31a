// A downstream project: find_package(flex), link flex::flex, use the library.
#include <cstdio>

#include "flex/decomp/tiling.hpp"

int main() {
  flex::decomp::Tiling tiling({2048, 2048, 256, 0, flex::decomp::Boundary::Periodic});
  std::printf("patches: %ld\n", tiling.count());
  return tiling.count() == 64 ? 0 : 1;
}
