// The flex executable: allocator policy, then the CLI in libflex.
#include "flex/app/cli.hpp"
#include "flex/core/system_info.hpp"

int main(int argc, char** argv) {
  flex::sysinfo::keep_freed_memory();
  return flex::cli_main(argc, argv);
}
