#include "flex/core/environment.hpp"

#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstdlib>

#include "flex/core/log.hpp"

namespace flex {

Environment::Environment(int& argc, char**& argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    // The training data prefetcher reads through MPI-IO off the main thread.
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &thread_level_);
    owns_mpi_ = true;
  } else {
    MPI_Query_thread(&thread_level_);
  }
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  // Errors surface as return codes so they can be reported with context.
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  log::set_rank(rank_);
  if (!Kokkos::is_initialized()) {
    Kokkos::InitArguments args;
    args.disable_warnings = true;
    Kokkos::initialize(args);
    owns_kokkos_ = true;
  }
}

Environment::~Environment() {
  if (owns_kokkos_) Kokkos::finalize();
  if (owns_mpi_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
}

void Environment::abort(int exit_code) const {
  std::fflush(stdout);
  std::fflush(stderr);
  if (size_ > 1) MPI_Abort(comm_, exit_code);
  std::exit(exit_code);
}

}  // namespace flex
