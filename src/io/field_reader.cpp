#include <filesystem>
#include <limits>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"
#include "h5_attributes.hpp"
#include "h5_handle.hpp"
#include "hyperslab.hpp"

namespace flex::io {

using detail::checked;
using detail::checked_status;
using detail::H5Handle;

struct FieldReader::Impl {
  std::string path, dataset;
  MPI_Comm comm;
  detail::CloseGuard guard;
  H5Handle file, dset;
  FieldShape shape;
  int rank = 4;  // 4: [N,C,H,W]; 3: [T,H,W] seen as C = 1
};

namespace {

std::string pick_dataset(hid_t file, const std::string& path, const std::string& requested) {
  if (!requested.empty()) {
    FLEX_REQUIRE(H5Lexists(file, requested.c_str(), H5P_DEFAULT) > 0,
                 path << ": dataset '" << requested << "' not found");
    return requested;
  }
  for (const char* name : {"fields", "w"})
    if (H5Lexists(file, name, H5P_DEFAULT) > 0) return name;
  FLEX_REQUIRE(false, path << ": no field dataset: expected 'fields' [N,C,H,W] (SuperBench) or 'w' [T,H,W] (FLEX)");
}

}  // namespace

FieldReader::FieldReader(const std::string& path, MPI_Comm comm, const std::string& dataset)
    : impl_(std::make_unique<Impl>()) {
  detail::silence_hdf5_errors();
  auto& m = *impl_;
  m.path = path;
  m.comm = comm;
  FLEX_REQUIRE(std::filesystem::exists(path), path << ": no such file");
  FLEX_REQUIRE(std::filesystem::is_regular_file(path),
               path << ": is " << (std::filesystem::is_directory(path) ? "a directory" : "not a regular file")
                    << ", not an HDF5 field file");
  FLEX_REQUIRE(H5Fis_hdf5(path.c_str()) > 0, path << ": not an HDF5 file");
  m.guard = detail::CloseGuard(comm);
  // A truncated or damaged file fails here (or in the first read) on some ranks or all: agreed.
  mpi::agree(comm, [&] {
    auto fapl = detail::mpio_file_access(comm, path);
    m.file = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
    FLEX_REQUIRE(m.file.valid(), path << ": HDF5 cannot open the file: it is truncated or damaged (`h5dump -H "
                                      << path << "` shows what is readable)");
  });
  m.dataset = pick_dataset(m.file.get(), path, dataset);
  m.dset = H5Handle(checked(H5Dopen2(m.file.get(), m.dataset.c_str(), H5P_DEFAULT), path, "dataset open"), H5Dclose);

  H5Handle type(H5Dget_type(m.dset.get()), H5Tclose);
  FLEX_REQUIRE(H5Tget_class(type.get()) == H5T_FLOAT,
               path << ": dataset '" << m.dataset << "' must hold floating-point values");
  H5Handle space(H5Dget_space(m.dset.get()), H5Sclose);
  m.rank = H5Sget_simple_extent_ndims(space.get());
  FLEX_REQUIRE(m.rank == 4 || m.rank == 3,
               path << ": dataset '" << m.dataset << "' has rank " << m.rank
                    << "; expected [N,C,H,W] or [T,H,W]");
  hsize_t dims[4] = {0, 0, 0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  // A damaged header can declare any extent: the element count must fit a long (found by tests/fuzz).
  long total = 1;
  for (int i = 0; i < m.rank; ++i) {
    const bool fits = dims[i] <= static_cast<hsize_t>(std::numeric_limits<long>::max()) &&
                      !__builtin_mul_overflow(total, static_cast<long>(dims[i]), &total);
    FLEX_REQUIRE(fits, path << ": dataset '" << m.dataset << "' declares an impossible size (dimension " << i
                            << " = " << dims[i] << "): the file is damaged");
  }
  if (m.rank == 4)
    m.shape = {static_cast<long>(dims[0]), static_cast<long>(dims[1]), static_cast<long>(dims[2]),
               static_cast<long>(dims[3])};
  else
    m.shape = {static_cast<long>(dims[0]), 1, static_cast<long>(dims[1]), static_cast<long>(dims[2])};
}

FieldReader::~FieldReader() {
  if (impl_ && impl_->guard.abandoning()) impl_->dset.release(), impl_->file.release();
}
FieldReader::FieldReader(FieldReader&&) noexcept = default;
FieldReader& FieldReader::operator=(FieldReader&&) noexcept = default;

const std::string& FieldReader::path() const { return impl_->path; }
const std::string& FieldReader::dataset() const { return impl_->dataset; }
FieldShape FieldReader::shape() const { return impl_->shape; }

void FieldReader::read(const Hyperslab& box, float* out) const {
  const auto& m = *impl_;
  detail::require_inside(box, m.shape, m.path);
  H5Handle file_space(H5Dget_space(m.dset.get()), H5Sclose);
  H5Handle mem_space = detail::select(box, m.rank, file_space.get(), m.path);
  auto dxpl = detail::collective_transfer(m.path);
  mpi::agree(m.comm, [&] {
    FLEX_REQUIRE(H5Dread(m.dset.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), dxpl.get(), out) >= 0,
                 m.path << ": reading dataset '" << m.dataset << "' failed: the file is truncated or damaged");
  });
}

std::vector<float> FieldReader::read(const Hyperslab& box) const {
  std::vector<float> out(static_cast<size_t>(box.count()));
  read(box, out.data());
  return out;
}

bool FieldReader::has_attribute(const std::string& name) const {
  return detail::has_attribute(impl_->dset.get(), name) || detail::has_attribute(impl_->file.get(), name);
}
double FieldReader::attribute_double(const std::string& name) const {
  const auto v = attribute_doubles(name);
  FLEX_REQUIRE(v.size() == 1, impl_->path << ": attribute '" << name << "' is not a scalar");
  return v[0];
}
std::vector<double> FieldReader::attribute_doubles(const std::string& name) const {
  const hid_t owner = detail::has_attribute(impl_->dset.get(), name) ? impl_->dset.get() : impl_->file.get();
  return detail::read_doubles(owner, name, impl_->path);
}
std::string FieldReader::attribute_string(const std::string& name) const {
  const hid_t owner = detail::has_attribute(impl_->dset.get(), name) ? impl_->dset.get() : impl_->file.get();
  return detail::read_string(owner, name, impl_->path);
}

}  // namespace flex::io
