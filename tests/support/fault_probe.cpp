// fault_probe <field.h5> <mode>: an error raised on one rank only while a
// parallel file is open (mode "reader") or being written ("writer"), the case
// no agreed error path covers: the job must end within seconds with the
// rank's message (MPI_Abort), never hang in the file's collective close.
#include <cstdio>
#include <string>

#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"

int main(int argc, char** argv) {
  flex::Environment env(argc, argv);
  if (argc != 3) return 2;
  const std::string path = argv[1], mode = argv[2];
  try {
    if (mode == "reader") {
      flex::io::FieldReader reader(path, env.comm());
      FLEX_REQUIRE(env.rank() != env.size() - 1, "rank " << env.rank() << " alone failed with " << path << " open");
      env.size() > 1 ? (void)MPI_Barrier(env.comm()) : (void)0;  // where the other ranks wait
    } else {
      flex::io::FieldWriter writer(path, env.comm(), {1, 1, 8, 8}, {});
      FLEX_REQUIRE(env.rank() != env.size() - 1, "rank " << env.rank() << " alone failed writing " << path);
      if (env.size() > 1) MPI_Barrier(env.comm());
    }
  } catch (const flex::InputError& e) {
    return env.end_with_error(2, e.what());
  }
  return 0;
}
