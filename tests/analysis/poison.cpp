#include "poison.hpp"

#include <hdf5.h>

#include <filesystem>
#include <stdexcept>

namespace flex::testing {

namespace {
hid_t check(hid_t id, const std::string& what) {
  if (id < 0) throw std::runtime_error("poison_copy: " + what + " failed");
  return id;
}
}  // namespace

void poison_copy(const std::string& in, const std::string& out, const std::vector<Poke>& pokes,
                 const std::vector<std::pair<std::string, double>>& attributes, const std::string& dataset) {
  std::filesystem::copy_file(in, out, std::filesystem::copy_options::overwrite_existing);
  const hid_t file = check(H5Fopen(out.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "opening " + out);
  const hid_t dset = check(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), "opening dataset " + dataset);
  const hid_t space = check(H5Dget_space(dset), "dataspace");
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank != 3 && rank != 4) throw std::runtime_error("poison_copy: " + out + ": dataset of rank " + std::to_string(rank));
  const hsize_t one[4] = {1, 1, 1, 1};
  const hid_t scalar = check(H5Screate_simple(1, one, nullptr), "memory space");
  for (const Poke& p : pokes) {
    const hsize_t at4[4] = {static_cast<hsize_t>(p.snapshot), static_cast<hsize_t>(p.channel),
                            static_cast<hsize_t>(p.row), static_cast<hsize_t>(p.col)};
    const hsize_t at3[3] = {at4[0], at4[2], at4[3]};
    check(H5Sselect_hyperslab(space, H5S_SELECT_SET, rank == 4 ? at4 : at3, nullptr, one, nullptr), "selection");
    check(H5Dwrite(dset, H5T_NATIVE_FLOAT, scalar, space, H5P_DEFAULT, &p.value), "writing the value");
  }
  for (const auto& [name, value] : attributes) {
    if (H5Aexists(dset, name.c_str()) > 0) check(H5Adelete(dset, name.c_str()), "deleting attribute " + name);
    const hid_t aspace = check(H5Screate(H5S_SCALAR), "attribute space");
    const hid_t attr =
        check(H5Acreate2(dset, name.c_str(), H5T_IEEE_F64LE, aspace, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name);
    check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), "writing attribute " + name);
    H5Aclose(attr), H5Sclose(aspace);
  }
  H5Sclose(scalar), H5Sclose(space), H5Dclose(dset);
  check(H5Fclose(file), "closing " + out);
}

}  // namespace flex::testing
