// Writes the small HDF5 files the CLI tests feed to `flex`: a valid SuperBench
// layout file and one whose `fields` dataset has the wrong rank.
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {
void write(const std::string& path, const std::vector<hsize_t>& dims) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t sp = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(f, "fields", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = 1;
  for (auto x : dims) n *= x;
  std::vector<float> v(n);
  for (hsize_t i = 0; i < n; ++i) v[i] = std::sin(0.1f * static_cast<float>(i));
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(d), H5Sclose(sp), H5Fclose(f);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_test_fields <dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  write(dir + "/good.h5", {4, 3, 16, 16});
  write(dir + "/flat.h5", {16, 16});
  return 0;
}
