// One sample of a field file as this rank's row slab of every channel (and of
// every ensemble member), read collectively and handed to the kernels as
// views: the read buffer itself on the host, one copy to the device otherwise.
#pragma once

#include <mpi.h>

#include <vector>

#include "flex/analysis/view.hpp"
#include "flex/io/fields.hpp"

namespace flex::analysis {

class Planes {
 public:
  // Channel c (member 0) as a row slab.
  SlabView slab(long c) const;
  // Every member of channel c.
  StackSlab members(long c) const;

 private:
  friend class SampleReader;
  void upload();

  std::vector<float> host_;  // [channel][member][row][col]
  Kokkos::View<float*, MemSpace> device_;
  const float* data_ = nullptr;  // host_ or device_, in MemSpace
  long channels_ = 0, members_ = 0, rows_ = 0, cols_ = 0, row0_ = 0, global_rows_ = 0;
  MPI_Comm comm_ = MPI_COMM_WORLD;
};

class SampleReader {
 public:
  // This rank reads rows [row0, row0 + rows) of fields shaped like `shape`.
  SampleReader(MPI_Comm comm, const io::FieldShape& shape, long row0, long rows);

  // Snapshot `snapshot`, every channel of that file (a baselines file has its own count). Collective.
  Planes read_all_channels(const io::FieldReader& file, long snapshot) const;
  // Sample `sample` of K members: member m is snapshot `sample` of files[m], or,
  // with K members per sample packed in files[0], its snapshot sample*K + m.
  // One file is always packed (`packed` > 0 says so, and must equal K; 0 with
  // one file takes K = `members`, as a `members` attribute gave it). Collective.
  Planes read_members(const std::vector<io::FieldReader>& files, long packed, long sample, long members) const;

 private:
  Planes empty_planes(long channels, long members) const;
  MPI_Comm comm_;
  io::FieldShape shape_;
  long row0_, rows_;
};

}  // namespace flex::analysis
