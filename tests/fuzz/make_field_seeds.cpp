// Writes the seed corpus for fuzz_field_reader: tiny field files, valid and
// subtly invalid, in both the oldest and the newest HDF5 file formats.
//   clang++ -std=c++17 -I/usr/include/hdf5/openmpi -I/usr/lib/x86_64-linux-gnu/openmpi/include \
//     tests/fuzz/make_field_seeds.cpp -L/usr/lib/x86_64-linux-gnu/hdf5/openmpi -lhdf5 -o /tmp/make_field_seeds
//   /tmp/make_field_seeds tests/fuzz/corpus/field tests/fuzz/corpus/field-vlen
// String attributes are fixed-length (as FieldWriter writes them), except in
// the second directory: variable-length strings (h5py's default) live in a
// global heap, and HDF5 1.10.8 H5HG_read crashes on a damaged one (see
// README.md), so those seeds are fuzzed only with FLEX_FUZZ_KNOWN_BUGS=1.
#include <hdf5.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

std::string dir;
bool vlen = false;  // variable-length string attributes

hid_t create(const std::string& name, bool latest) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (latest) H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  hid_t f = H5Fcreate((dir + "/" + name).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return f;
}

void attr_double(hid_t obj, const char* name, std::vector<double> v) {
  const hsize_t n = v.size();
  hid_t sp = v.size() == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, v.data());
  H5Aclose(a), H5Sclose(sp);
}

void attr_int(hid_t obj, const char* name, int v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT, &v);
  H5Aclose(a), H5Sclose(sp);
}

void attr_string(hid_t obj, const char* name, const std::string& v, bool variable) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, variable ? H5T_VARIABLE : v.size() + 1);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  const char* p = v.c_str();
  if (variable) H5Awrite(a, t, &p);
  else H5Awrite(a, t, p);
  H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

enum Layout { Contiguous, Chunked, Deflate, Compact };

hid_t dataset(hid_t loc, const char* name, std::vector<hsize_t> dims, hid_t file_type, Layout layout) {
  hid_t sp = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (layout == Chunked || layout == Deflate) {
    std::vector<hsize_t> chunk(dims);
    chunk[0] = 1;
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (layout == Deflate) H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 4), H5Pset_fletcher32(dcpl);
  } else if (layout == Compact) {
    H5Pset_layout(dcpl, H5D_COMPACT);
  }
  hid_t d = H5Dcreate2(loc, name, file_type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  hsize_t n = 1;
  for (auto x : dims) n *= x;
  std::vector<double> v(n);
  for (hsize_t i = 0; i < n; ++i) v[i] = 0.25 * static_cast<double>(i % 17) - 1.0;
  if (n) H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Pclose(dcpl), H5Sclose(sp);
  return d;
}

void superbench(const char* name, bool latest, Layout layout, hid_t type = H5T_IEEE_F32LE,
                std::vector<hsize_t> dims = {2, 1, 8, 8}) {
  hid_t f = create(name, latest);
  hid_t d = dataset(f, "fields", dims, type, layout);
  attr_double(d, "Re", {1000});
  attr_double(d, "dt", {0.01});
  attr_int(d, "seed", 1);
  attr_string(d, "channels", "w", false);
  attr_double(f, "dx", {0.19634954, 0.19634954});
  attr_string(f, "title", "flex fuzz seed", vlen);
  H5Dclose(d), H5Fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: %s OUTDIR VLEN_OUTDIR\n", argv[0]), 2;
  dir = argv[2], vlen = true;
  superbench("fields-vlen.h5", true, Contiguous);
  superbench("fields-v0-vlen.h5", false, Chunked);
  {
    hid_t f = create("w-vlen.h5", false);
    hid_t d = dataset(f, "w", {3, 8, 8}, H5T_IEEE_F32LE, Contiguous);
    attr_double(f, "Re", {500});
    attr_string(f, "channels", "w", true);
    attr_string(d, "channels", "w", true);
    H5Dclose(d), H5Fclose(f);
  }
  dir = argv[1], vlen = false;
  superbench("fields-v0-contig.h5", false, Contiguous);
  superbench("fields-latest-contig.h5", true, Contiguous);
  superbench("fields-v0-chunked.h5", false, Chunked);
  superbench("fields-latest-deflate.h5", true, Deflate);
  superbench("fields-v0-compact.h5", false, Compact);
  superbench("fields-f64-3ch.h5", true, Contiguous, H5T_IEEE_F64BE, {1, 3, 4, 4});
  superbench("fields-empty.h5", false, Contiguous, H5T_IEEE_F32LE, {0, 1, 8, 8});
  superbench("fields-int32.h5", false, Contiguous, H5T_STD_I32LE);     // wrong type
  superbench("fields-rank2.h5", true, Contiguous, H5T_IEEE_F32LE, {8, 8});  // wrong rank
  superbench("fields-rank5.h5", false, Contiguous, H5T_IEEE_F32LE, {1, 1, 1, 4, 4});
  {  // FLEX layout: w [T, H, W], attributes on the root
    for (bool latest : {false, true}) {
      hid_t f = create(latest ? "w-latest.h5" : "w-v0.h5", latest);
      hid_t d = dataset(f, "w", {3, 8, 8}, H5T_IEEE_F32LE, latest ? Chunked : Contiguous);
      attr_double(f, "Re", {500});
      attr_double(f, "dt", {0.05});
      attr_string(f, "channels", "w", vlen);
      H5Dclose(d), H5Fclose(f);
    }
  }
  {  // w reached through a group and a soft link
    hid_t f = create("w-softlink.h5", true);
    hid_t g = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t d = dataset(g, "w", {2, 4, 4}, H5T_IEEE_F32LE, Contiguous);
    H5Lcreate_soft("/data/w", f, "w", H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d), H5Gclose(g), H5Fclose(f);
  }
  {  // no field dataset at all
    hid_t f = create("no-fields.h5", false);
    hid_t d = dataset(f, "other", {4}, H5T_IEEE_F32LE, Contiguous);
    attr_double(f, "Re", {1, 2, 3});
    H5Dclose(d), H5Fclose(f);
  }
  {  // 'fields' is a group, not a dataset
    hid_t f = create("fields-group.h5", true);
    hid_t g = H5Gcreate2(f, "fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g), H5Fclose(f);
  }
  return 0;
}
