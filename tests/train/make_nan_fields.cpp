// make_nan_fields <file.h5>: a 32x32 field file `fields` [6, 1, 32, 32] whose
// snapshot 3 holds one NaN (row 5, column 7), for the CLI test of
// run.check_finite on training data.
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_nan_fields <file.h5>\n");
    return 2;
  }
  const hsize_t dims[4] = {6, 1, 32, 32};
  std::vector<float> v(6 * 32 * 32);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.01f * static_cast<float>(i));
  v[3 * 32 * 32 + 5 * 32 + 7] = std::numeric_limits<float>::quiet_NaN();
  hid_t f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return 1;
  hid_t sp = H5Screate_simple(4, dims, nullptr);
  hid_t d = H5Dcreate2(f, "fields", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const herr_t rc = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(d), H5Sclose(sp), H5Fclose(f);
  return rc < 0 ? 1 : 0;
}
