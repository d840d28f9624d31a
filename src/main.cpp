// The flex executable: allocator policy, then the CLI in libflex.
#include <malloc.h>

#include "flex/app/cli.hpp"

int main(int argc, char** argv) {
#ifndef FLEX_WITH_JEMALLOC
  // Keep freed large blocks (activations, gradients) in the heap instead of
  // returning them to the OS: re-faulting them made training steps up to 4x
  // slower. jemalloc, when linked, reuses them by itself.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, -1);
  mallopt(M_ARENA_MAX, 4);
#endif
  return flex::cli_main(argc, argv);
}
