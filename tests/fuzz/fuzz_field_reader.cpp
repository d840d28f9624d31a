// libFuzzer target: the HDF5 field reader (src/io/field_reader.cpp and the
// io/ helpers it uses). The input bytes are written as a file and opened with
// flex::io::FieldReader on MPI_COMM_SELF (MPI-IO driver); shape, attributes
// and a few small hyperslabs are read, then one of the serial readers of
// src/io/array.cpp (read_array, read_attribute_*) runs on the same file.
// flex::InputError is the expected answer to a broken file; anything else is
// a finding. Seeds are tiny valid field files from make_field_seeds.cpp,
// which the fuzzer mutates.
#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"

namespace {

std::string field_file() {
  // Never destroyed: the atexit handler that removes the file may run after static destructors.
  static const std::string* path = [] {
    const char* env = std::getenv("FLEX_FUZZ_TMPDIR");  // run.sh: a scratch dir it removes
    const char* dir = env && *env ? env : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return new std::string(std::string(dir) + "/flex-fuzz-field-" + std::to_string(getpid()) + ".h5");
  }();
  return *path;
}

void finish() {
  std::remove(field_file().c_str());
  int done = 0;
  MPI_Finalized(&done);
  if (!done) MPI_Finalize();
}

volatile double sink = 0;

// A damaged header may declare any extent; FieldReader refuses counts that
// overflow `long` (a fuzz finding), so count() is safe on any shape it returns.
long safe_count(const flex::io::FieldShape& s) { return s.count(); }

template <class F>
void expect_input_error(F&& f) {
  try {
    f();
  } catch (const flex::InputError&) {
  }
}

void read_box(const flex::io::FieldReader& r, const flex::io::Hyperslab& box) {
  expect_input_error([&] {
    for (float x : r.read(box)) sink = sink + x;
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE, &provided);
  std::atexit(finish);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = field_file();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(data, 1, size, f);
  std::fclose(f);

  long count = -1;
  std::string dataset;
  expect_input_error([&] {
    flex::io::FieldReader r(path, MPI_COMM_SELF);
    const flex::io::FieldShape s = r.shape();
    const long total = safe_count(s);
    sink = sink + static_cast<double>(total) + r.dataset().size() + r.path().size();

    for (const char* name : {"Re", "dt", "seed", "channels", "title", "dx", "missing"}) {
      if (!r.has_attribute(name)) continue;
      expect_input_error([&] { sink = sink + r.attribute_double(name); });
      expect_input_error([&] {
        for (double d : r.attribute_doubles(name)) sink = sink + d;
      });
      expect_input_error([&] { sink = sink + r.attribute_string(name).size(); });
    }

    // Small boxes only (at most 2 x 2 x 8 x 8 values): the first corner, the
    // last corner, an empty box, and one that lies outside (must be refused).
    auto lim = [](long extent, long cap) { return std::max(0L, std::min(extent, cap)); };
    const long nn = lim(s.n, 2), nc = lim(s.c, 2), nh = lim(s.h, 8), nw = lim(s.w, 8);
    read_box(r, {0, nn, 0, nc, 0, nh, 0, nw});
    read_box(r, {s.n - nn, nn, s.c - nc, nc, s.h - nh, nh, s.w - nw, nw});
    read_box(r, {0, 0, 0, 0, 0, 0, 0, 0});
    if (s.n < LONG_MAX) read_box(r, {s.n, 1, 0, 1, 0, 1, 0, 1});
    count = total;
    dataset = r.dataset();
  });

  // The serial readers of src/io/array.cpp on the same file, after the
  // MPI-IO handle is closed. Each opens the file, and an HDF5 open is the
  // main cost here, so one per input, picked by the input's size.
  // read_array reads everything: small datasets only.
  switch (size % 4) {
    case 0:
      if (count >= 0 && count <= 4096) {
        expect_input_error([&] { sink = sink + flex::io::read_array(path, dataset).numel(); });
        break;
      }
      [[fallthrough]];
    case 1: expect_input_error([&] { sink = sink + flex::io::read_attribute_double(path, "/", "Re"); }); break;
    case 2:
      expect_input_error([&] { sink = sink + flex::io::read_attribute_doubles(path, "fields", "dx").size(); });
      break;
    default:
      expect_input_error([&] { sink = sink + flex::io::read_attribute_string(path, "w", "channels").size(); });
      expect_input_error([&] { sink = sink + flex::io::has_dataset(path, "fields"); });
  }
  // Every HDF5 id flex opened is closed again (RAII handles), whatever failed.
  if (const ssize_t left = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); left > 0) {
    std::fprintf(stderr, "fuzz_field_reader: %zd HDF5 ids left open after the input\n", left);
    std::abort();
  }
  return 0;
}
