// dns.init_file checked for NaN/Inf (run.check_finite) before the first step:
// exactly the snapshot and channel the run starts from, on every rank alike.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/dns/config.hpp"
#include "flex/dns/initial.hpp"
#include "flex/io/fields.hpp"

namespace flex::dns {

namespace {

namespace fs = std::filesystem;

// [3, 3, 16, 16] (u, v, ω): NaN at snapshot 1, ω, row 9, column 4; +inf at snapshot 2, u.
std::string write_file() {
  const std::string dir = mpi::broadcast(
      (fs::temp_directory_path() / ("flex_dns_init_" + std::to_string(::getpid()))).string(), MPI_COMM_WORLD);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0) fs::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  const io::FieldShape shape{3, 3, 16, 16};
  io::WriterOptions options;
  options.overwrite = true;
  options.channel_names = {"u", "v", "w"};
  io::FieldWriter writer(dir + "/init.h5", MPI_COMM_WORLD, shape, options);
  const auto rows = mpi::share(shape.h, rank, size);
  std::vector<float> data;
  for (long n = 0; n < shape.n; ++n)
    for (long c = 0; c < shape.c; ++c)
      for (long r = rows.begin; r < rows.end; ++r)
        for (long col = 0; col < shape.w; ++col) {
          float v = static_cast<float>(std::sin(0.3 * r + 0.7 * col + n + c));
          if (n == 1 && c == 2 && r == 9 && col == 4) v = std::numeric_limits<float>::quiet_NaN();
          if (n == 2 && c == 0 && r == 3 && col == 3) v = std::numeric_limits<float>::infinity();
          data.push_back(v);
        }
  writer.write(io::Hyperslab{0, shape.n, 0, shape.c, rows.begin, rows.size(), 0, shape.w}, data.data());
  writer.close();
  return dir;
}

std::string rejection(const RunConfig& c, const io::FieldReader& reader, long index) {
  try {
    require_finite_initial_file(c, reader, index, MPI_COMM_WORLD);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(DnsInitialFile, NaNInTheStartingSnapshotNamesDnsInitFile) {
  const std::string dir = write_file();
  {
    io::FieldReader reader(dir + "/init.h5", MPI_COMM_WORLD);
    RunConfig c;
    c.init = "file";
    c.init_file = reader.path();
    const std::string why = rejection(c, reader, 1);
    EXPECT_NE(why.find("init.h5: dataset 'fields' (dns.init_file) holds 1 NaN or infinite value(s); the first at "
                       "snapshot 1, channel 2, row 9, column 4"),
              std::string::npos)
        << why;
    EXPECT_EQ(rejection(c, reader, 0), "") << "snapshot 0 is clean";
    EXPECT_EQ(rejection(c, reader, 2), "") << "only ω is read: the infinity in u of snapshot 2 is not";
    c.run.check_finite = false;
    EXPECT_EQ(rejection(c, reader, 1), "") << "run.check_finite = false skips the scan";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) fs::remove_all(dir);
}

}  // namespace
}  // namespace flex::dns
