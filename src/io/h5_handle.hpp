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

// True while an exception unwinds through a multi-rank file: closing it is
// collective, and the other ranks may never join (they wait elsewhere, or
// have failed too), so its handles are released unclosed; the job then ends
// through MPI_Abort (app/cli.cpp), which does not close them either.
bool abandoning(MPI_Comm comm);

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
