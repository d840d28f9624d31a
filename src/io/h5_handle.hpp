// Private to io/: RAII ownership of HDF5 identifiers, and HDF5 error checks
// that name the file.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "flex/core/error.hpp"

namespace flex::io::detail {

class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Handle() = default;
  H5Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~H5Handle() { reset(); }
  H5Handle(H5Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), closer_(o.closer_) {}
  H5Handle& operator=(H5Handle&& o) noexcept {
    if (this != &o) reset(), id_ = std::exchange(o.id_, -1), closer_ = o.closer_;
    return *this;
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }
  // Forgets the identifier without closing it (see abandoning()).
  void release() { id_ = -1; }
  // Closes now and reports HDF5's status (a close can flush, and fail).
  herr_t close() {
    const herr_t status = id_ >= 0 && closer_ ? closer_(id_) : 0;
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// The communicator a parallel file keeps for its error path: a duplicate of
// the file's (MPI_COMM_NULL on one rank), so nothing else can match it.
class CloseGuard {
 public:
  CloseGuard() = default;
  explicit CloseGuard(MPI_Comm comm);
  ~CloseGuard();
  CloseGuard(CloseGuard&& o) noexcept : comm_(o.comm_) { o.comm_ = MPI_COMM_NULL; }
  CloseGuard& operator=(CloseGuard&& o) noexcept;
  CloseGuard(const CloseGuard&) = delete;
  CloseGuard& operator=(const CloseGuard&) = delete;

  // True while an exception unwinds and not every rank of the file is here
  // within a moment: closing is collective, and ranks that wait elsewhere
  // would never join, so the handles are to be released unclosed (the job
  // then ends through MPI_Abort, app/cli.cpp). When all ranks are unwinding
  // the same scope (an error raised alike everywhere), they close together.
  bool abandoning();

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

// HDF5's own error stack printing is replaced by our one-line messages.
void silence_hdf5_errors();

inline hid_t checked(hid_t id, const std::string& path, const char* what) {
  FLEX_REQUIRE(id >= 0, path << ": HDF5 " << what << " failed");
  return id;
}
inline void checked_status(herr_t status, const std::string& path, const char* what) {
  FLEX_REQUIRE(status >= 0, path << ": HDF5 " << what << " failed");
}

// File-access property list using MPI-IO on `comm`.
H5Handle mpio_file_access(MPI_Comm comm, const std::string& path);
// Collective transfer property list.
H5Handle collective_transfer(const std::string& path);

}  // namespace flex::io::detail
