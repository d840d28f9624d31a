#include "flex/core/environment.hpp"

#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"

namespace flex {

Environment::Environment(int& argc, char**& argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    // Open MPI 4.1's own MPI-IO (ompio) returns wrong values for some
    // collective hyperslab reads (a rank reading a window that wraps on both
    // axes: test infer_blocks at 2x2); its ROMIO component reads them right.
    // A user's or site's OMPI_MCA_io is kept; other MPIs ignore the variable.
    setenv("OMPI_MCA_io", "^ompio", /*overwrite=*/0);
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
  if (size_ > 1) MPI_Comm_dup(comm_, &error_comm_);
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
  if (error_comm_ != MPI_COMM_NULL) MPI_Comm_free(&error_comm_);
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

int Environment::end_with_error(int exit_code, const std::string& message) const {
  if (size_ == 1) {
    log::any_rank("error: ", message);
    return exit_code;
  }
  // Did every rank fail? An error raised alike on all ranks (a deck value,
  // an agreed I/O failure) reaches this point on each within milliseconds.
  const bool all_failed = mpi::barrier_within(error_comm_, 2.0);
  if (all_failed) {
    // Same message everywhere (its hash agrees) and no file left open: a normal end.
    const long hash = static_cast<long>(std::hash<std::string>{}(message) >> 1);
    long in[3] = {hash, -hash, exit_code}, out[3] = {0, 0, 0};
    int abandoned = collectives_abandoned() ? 1 : 0, any_abandoned = 1;
    if (MPI_Allreduce(in, out, 3, MPI_LONG, MPI_MAX, error_comm_) == MPI_SUCCESS &&
        MPI_Allreduce(&abandoned, &any_abandoned, 1, MPI_INT, MPI_MAX, error_comm_) == MPI_SUCCESS &&
        !any_abandoned) {
      const bool same = out[0] == hash && out[1] == -hash;
      if (same ? rank_ == 0 : true) {
        if (same) log::write_error(message);  // once, without a rank prefix
        else log::any_rank("error: ", message);
      }
      return static_cast<int>(out[2]);
    }
  }
  log::any_rank("error: ", message);
  abort(exit_code);
}

}  // namespace flex
