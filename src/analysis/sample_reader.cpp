#include "sample_reader.hpp"

#include <type_traits>

#include "flex/core/error.hpp"

namespace flex::analysis {

void Planes::upload() {
  if constexpr (std::is_same<MemSpace, Kokkos::HostSpace>::value) {
    data_ = host_.data();  // zero-copy: the kernels read the HDF5 read buffer
  } else {
    device_ = Kokkos::View<float*, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "analysis::sample"),
                                             host_.size());
    Kokkos::deep_copy(device_, Kokkos::View<const float*, Kokkos::HostSpace, Unmanaged>(host_.data(), host_.size()));
    data_ = device_.data();
  }
}

SlabView Planes::slab(long c) const {
  return SlabView{wrap_plane(data_ + c * members_ * rows_ * cols_, rows_, cols_), row0_, global_rows_, comm_};
}

StackSlab Planes::members(long c) const {
  return StackSlab{wrap_stack(data_ + c * members_ * rows_ * cols_, members_, rows_, cols_), row0_, global_rows_,
                   comm_};
}

SampleReader::SampleReader(MPI_Comm comm, const io::FieldShape& shape, long row0, long rows)
    : comm_(comm), shape_(shape), row0_(row0), rows_(rows) {}

Planes SampleReader::empty_planes(long channels, long members) const {
  Planes p;
  p.channels_ = channels, p.members_ = members, p.rows_ = rows_, p.cols_ = shape_.w;
  p.row0_ = row0_, p.global_rows_ = shape_.h, p.comm_ = comm_;
  p.host_.resize(static_cast<size_t>(channels * members * rows_ * shape_.w));
  return p;
}

Planes SampleReader::read_all_channels(const io::FieldReader& file, long snapshot) const {
  const long channels = file.shape().c;
  Planes p = empty_planes(channels, 1);
  file.read(io::Hyperslab{snapshot, 1, 0, channels, row0_, rows_, 0, shape_.w}, p.host_.data());
  p.upload();
  return p;
}

Planes SampleReader::read_members(const std::vector<io::FieldReader>& files, long packed, long sample,
                                  long members) const {
  Planes p = empty_planes(shape_.c, members);
  const long plane = rows_ * shape_.w;
  // One file for several members is packed however the count was given
  // (analyze.ensemble_members, or the file's `members` attribute: Inputs::packed).
  if (packed <= 0 && files.size() == 1 && members > 1) packed = members;
  FLEX_CHECK(packed > 0 ? packed == members : static_cast<long>(files.size()) == members,
             "read_members: " << files.size() << " file(s), " << packed << " packed, " << members << " members");
  for (long c = 0; c < shape_.c; ++c)
    for (long m = 0; m < members; ++m) {
      const io::FieldReader& file = packed > 0 ? files.front() : files[static_cast<size_t>(m)];
      const long snapshot = packed > 0 ? sample * packed + m : sample;
      file.read(io::Hyperslab{snapshot, 1, c, 1, row0_, rows_, 0, shape_.w}, p.host_.data() + (c * members + m) * plane);
    }
  p.upload();
  return p;
}

}  // namespace flex::analysis
