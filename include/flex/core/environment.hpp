// The process environment as one RAII object: MPI (with the thread level the
// data prefetcher needs) and Kokkos are initialised in the constructor and
// finalised in reverse order in the destructor.
#pragma once

#include <mpi.h>

#include <string>

namespace flex {

class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  int thread_level() const { return thread_level_; }

  // Ends every rank of the job now (MPI_Abort when size > 1).
  [[noreturn]] void abort(int exit_code) const;

  // The end of a failed run on this rank: returns the exit code when every
  // rank failed within a moment of each other and no collective file was
  // abandoned (the message printed once, by rank 0, and MPI finalised
  // normally); otherwise prints this rank's message and ends the job with
  // MPI_Abort, so no rank is left waiting for this one.
  int end_with_error(int exit_code, const std::string& message) const;

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  MPI_Comm error_comm_ = MPI_COMM_NULL;  // a duplicate only end_with_error uses, so it matches nothing else
  int rank_ = 0;
  int size_ = 1;
  int thread_level_ = 0;
  bool owns_mpi_ = false;
  bool owns_kokkos_ = false;
};

}  // namespace flex
