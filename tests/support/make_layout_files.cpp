// Writes the synthetic external-layout files of the CLI tests
// (tests/support/layout_files.hpp): a PDEBench file and an ERA5 split with a
// train/ and a test_1/ year, and a taller year to train on.
#include <cstdio>
#include <filesystem>
#include <string>

#include "layout_files.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_layout_files <dir>\n");
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path dir = argv[1];
  fs::create_directories(dir / "era5" / "train");
  fs::create_directories(dir / "era5" / "test_1");
  flex::testing::write_pdebench((dir / "ns_incom_inhom_2d_512-0.h5").string(), 2, 5, 32);
  flex::testing::write_pdebench((dir / "pdebench_bad.h5").string(), 1, 2, 16, 3);
  flex::testing::write_era5((dir / "era5" / "train" / "1979.h5").string(), 3, 33);
  flex::testing::write_era5((dir / "era5" / "train" / "1980.h5").string(), 2, 33);
  flex::testing::write_era5((dir / "era5" / "test_1" / "2016.h5").string(), 2, 33);
  // Training patches of 32 and their x4 bicubic reach fit between the poles of 64 rows.
  fs::create_directories(dir / "era5_train");
  flex::testing::write_era5((dir / "era5_train" / "1979.h5").string(), 5, 65);
  return 0;
}
