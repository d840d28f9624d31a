#include <filesystem>

#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"
#include "h5_attributes.hpp"
#include "h5_handle.hpp"

namespace flex::io {

using detail::checked;
using detail::H5Handle;

long Array::numel() const {
  long n = 1;
  for (long d : shape) n *= d;
  return n;
}

namespace {

// Serial (this rank only) read-only open with clear messages.
H5Handle open_serial(const std::string& path) {
  detail::silence_hdf5_errors();
  FLEX_REQUIRE(std::filesystem::exists(path), path << ": no such file");
  FLEX_REQUIRE(std::filesystem::is_regular_file(path),
               path << ": is " << (std::filesystem::is_directory(path) ? "a directory" : "not a regular file")
                    << ", not an HDF5 field file");
  FLEX_REQUIRE(H5Fis_hdf5(path.c_str()) > 0, path << ": not an HDF5 file");
  return H5Handle(checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path, "file open"), H5Fclose);
}

H5Handle open_object(hid_t file, const std::string& path, const std::string& object) {
  if (object.empty() || object == "/") return H5Handle(checked(H5Oopen(file, "/", H5P_DEFAULT), path, "open"), H5Oclose);
  FLEX_REQUIRE(H5Lexists(file, object.c_str(), H5P_DEFAULT) > 0, path << ": '" << object << "' not found");
  return H5Handle(checked(H5Oopen(file, object.c_str(), H5P_DEFAULT), path, "object open"), H5Oclose);
}

}  // namespace

bool has_dataset(const std::string& path, const std::string& dataset) {
  auto file = open_serial(path);
  return H5Lexists(file.get(), dataset.c_str(), H5P_DEFAULT) > 0;
}

Array read_array(const std::string& path, const std::string& dataset) {
  auto file = open_serial(path);
  FLEX_REQUIRE(H5Lexists(file.get(), dataset.c_str(), H5P_DEFAULT) > 0,
               path << ": dataset '" << dataset << "' not found");
  H5Handle dset(checked(H5Dopen2(file.get(), dataset.c_str(), H5P_DEFAULT), path, "dataset open"), H5Dclose);
  H5Handle type(H5Dget_type(dset.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  FLEX_REQUIRE(cls == H5T_FLOAT || cls == H5T_INTEGER, path << ": dataset '" << dataset << "' is not numeric");
  H5Handle space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(rank > 0 ? rank : 0));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Array a;
  for (auto d : dims) a.shape.push_back(static_cast<long>(d));
  a.data.resize(static_cast<size_t>(a.numel()));
  if (!a.data.empty())
    detail::checked_status(H5Dread(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()), path,
                           "dataset read");
  return a;
}

double read_attribute_double(const std::string& path, const std::string& object, const std::string& name) {
  const auto v = read_attribute_doubles(path, object, name);
  FLEX_REQUIRE(v.size() == 1, path << ": attribute '" << name << "' is not a scalar");
  return v[0];
}

std::vector<double> read_attribute_doubles(const std::string& path, const std::string& object,
                                           const std::string& name) {
  auto file = open_serial(path);
  auto obj = open_object(file.get(), path, object);
  return detail::read_doubles(obj.get(), name, path);
}

std::string read_attribute_string(const std::string& path, const std::string& object, const std::string& name) {
  auto file = open_serial(path);
  auto obj = open_object(file.get(), path, object);
  return detail::read_string(obj.get(), name, path);
}

}  // namespace flex::io
