#include "h5_handle.hpp"

#include <exception>

#include "flex/core/collectives.hpp"

namespace flex::io::detail {

CloseGuard::CloseGuard(MPI_Comm comm) {
  int size = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  if (size > 1) FLEX_CHECK_MPI(MPI_Comm_dup(comm, &comm_));
}

CloseGuard::~CloseGuard() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);  // unchecked: may run while an error unwinds
}

CloseGuard& CloseGuard::operator=(CloseGuard&& o) noexcept {
  if (this != &o) {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    comm_ = o.comm_;
    o.comm_ = MPI_COMM_NULL;
  }
  return *this;
}

bool CloseGuard::abandoning() {
  if (std::uncaught_exceptions() == 0 || agreed_error_unwinding() || comm_ == MPI_COMM_NULL) return false;
  // Every rank destroying this file now? (They unwind the same scopes in the same order if so.)
  const bool all_here = mpi::barrier_within(comm_, 2.0);
  if (all_here) return false;
  note_collectives_abandoned();
  comm_ = MPI_COMM_NULL;  // its barrier is still pending: never freed
  return true;
}

void silence_hdf5_errors() {
  static bool done = false;
  if (!done) H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), done = true;
}

H5Handle mpio_file_access(MPI_Comm comm, const std::string& path) {
  H5Handle fapl(checked(H5Pcreate(H5P_FILE_ACCESS), path, "property list"), H5Pclose);
  checked_status(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), path, "MPI-IO driver set-up");
  return fapl;
}

H5Handle collective_transfer(const std::string& path) {
  H5Handle dxpl(checked(H5Pcreate(H5P_DATASET_XFER), path, "property list"), H5Pclose);
  checked_status(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), path, "collective transfer set-up");
  return dxpl;
}

}  // namespace flex::io::detail
