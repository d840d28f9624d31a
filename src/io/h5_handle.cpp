#include "h5_handle.hpp"

#include <exception>

namespace flex::io::detail {

bool abandoning(MPI_Comm comm) {
  if (std::uncaught_exceptions() == 0 || agreed_error_unwinding()) return false;
  int size = 1;
  MPI_Comm_size(comm, &size);  // unchecked: this runs while an error unwinds
  if (size == 1) return false;
  note_collectives_abandoned();
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
