// Parallel field I/O: collective hyperslab round trips at any rank count,
// FLEX-style [T,H,W] files, attributes, atomic replacement, clear errors.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>  // getpid

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"

namespace fs = std::filesystem;
using namespace flex;

namespace {

int rank() {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int size() {
  int s;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// Same directory on every rank.
std::string scratch(const std::string& name) {
  std::string dir = mpi::broadcast(fs::temp_directory_path().string() + "/flex_io_test_" +
                                        std::to_string(::getpid()),
                                    MPI_COMM_WORLD);
  if (rank() == 0) fs::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir + "/" + name;
}

float value_at(long n, long c, long h, long w) { return static_cast<float>(1000 * n + 100 * c + 10 * h + 0.5 * w); }

void write_test_file(const std::string& path, const io::FieldShape& s, bool overwrite = false) {
  io::WriterOptions opt;
  opt.channel_names = {"u", "v", "w"};
  opt.overwrite = overwrite;
  io::FieldWriter writer(path, MPI_COMM_WORLD, s, opt);
  // Each rank writes its row slab of every snapshot and channel.
  const auto rows = mpi::share(s.h, rank(), size());
  io::Hyperslab box{0, s.n, 0, s.c, rows.begin, rows.size(), 0, s.w};
  std::vector<float> data;
  for (long n = 0; n < s.n; ++n)
    for (long c = 0; c < s.c; ++c)
      for (long h = rows.begin; h < rows.end; ++h)
        for (long w = 0; w < s.w; ++w) data.push_back(value_at(n, c, h, w));
  writer.write(box, data.data());
  writer.set_attribute("Re", 8000.0);
  writer.set_attribute("time", std::vector<double>{0.0, 0.5, 1.0});
  writer.set_attribute("deck", std::string("grid.n = 12  # demo"));
  writer.close();
}

}  // namespace

TEST(IoFields, RowSlabRoundTripAtAnyRankCount) {
  const std::string path = scratch("roundtrip.h5");
  const io::FieldShape s{3, 3, 13, 7};  // 13 rows: uneven slabs at 2 and 4 ranks
  write_test_file(path, s);

  io::FieldReader reader(path, MPI_COMM_WORLD);
  EXPECT_EQ(reader.dataset(), "fields");
  EXPECT_EQ(reader.shape().n, 3);
  EXPECT_EQ(reader.shape().h, 13);
  EXPECT_DOUBLE_EQ(reader.attribute_double("Re"), 8000.0);
  EXPECT_EQ(reader.attribute_doubles("time").size(), 3u);
  EXPECT_EQ(reader.attribute_string("deck"), "grid.n = 12  # demo");
  EXPECT_EQ(reader.attribute_string("channels"), "u,v,w");

  // Read a different decomposition than the one written: one snapshot each.
  const auto snaps = mpi::share(s.n, rank(), size());
  auto got = reader.read(io::Hyperslab{snaps.begin, snaps.size(), 2, 1, 0, s.h, 0, s.w});
  long i = 0;
  for (long n = snaps.begin; n < snaps.end; ++n)
    for (long h = 0; h < s.h; ++h)
      for (long w = 0; w < s.w; ++w) ASSERT_EQ(got[i++], value_at(n, 2, h, w));

  if (rank() == 0) EXPECT_TRUE(fs::exists(fs::path(path).replace_extension(".xmf")));
}

// A strided box reads only its samples (every stride-th row and column from
// the start): what a super-resolution rank reads of a high-res field.
TEST(IoFields, StridedBoxReadsEveryStrideThPixel) {
  const std::string path = scratch("strided.h5");
  const io::FieldShape s{2, 3, 13, 11};
  write_test_file(path, s);
  io::FieldReader reader(path, MPI_COMM_WORLD);
  // Rank r starts at row r: each rank its own box, read collectively.
  const long h0 = rank() % 3, w0 = 1;
  const auto got = reader.read(io::Hyperslab{1, 1, 1, 2, h0, 3, w0, 3, 4});  // rows h0 + {0,4,8}, cols 1, 5, 9
  long i = 0;
  for (long c = 1; c < 3; ++c)
    for (long h = 0; h < 3; ++h)
      for (long w = 0; w < 3; ++w) ASSERT_EQ(got[i++], value_at(1, c, h0 + 4 * h, w0 + 4 * w)) << c << h << w;
  // The last sample must lie inside the field: 4 rows from 1 at stride 4 end at row 13.
  EXPECT_THROW(reader.read(io::Hyperslab{0, 1, 0, 1, 1, 4, 0, 1, 4}), InputError);
}

TEST(IoFields, ExistingOutputIsKeptUnlessOverwriteIsSet) {
  const std::string path = scratch("keep.h5");
  const io::FieldShape s{3, 3, 4, 4};
  write_test_file(path, s);
  const auto before = fs::last_write_time(path);
  EXPECT_THROW(write_test_file(path, s), InputError);
  EXPECT_EQ(fs::last_write_time(path), before);
  write_test_file(path, s, /*overwrite=*/true);
  io::FieldReader reader(path, MPI_COMM_WORLD);
  EXPECT_EQ(reader.shape().w, 4);
}

TEST(IoFields, AbandonedWriterLeavesNoFile) {
  const std::string path = scratch("abandoned.h5");
  { io::FieldWriter writer(path, MPI_COMM_WORLD, {1, 1, 4, 4}); }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".abandoned.h5.tmp"), std::string::npos);
}

TEST(IoFields, FlexStyleVorticityFileReadsAsOneChannel) {
  const std::string path = scratch("w.h5");
  if (rank() == 0) {
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[3] = {2, 5, 6};
    hid_t sp = H5Screate_simple(3, dims, nullptr);
    hid_t d = H5Dcreate2(f, "w", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<double> v(60);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.25 * static_cast<double>(i);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d), H5Sclose(sp), H5Fclose(f);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  io::FieldReader reader(path, MPI_COMM_WORLD);
  EXPECT_EQ(reader.dataset(), "w");
  EXPECT_EQ(reader.shape().c, 1);
  auto got = reader.read(io::Hyperslab{1, 1, 0, 1, 2, 1, 0, 6});
  EXPECT_FLOAT_EQ(got[0], 0.25f * (30 + 12));
  EXPECT_THROW(reader.read(io::Hyperslab{0, 1, 1, 1, 0, 1, 0, 1}), InputError);
}

TEST(IoFields, BadFilesGiveOneLineErrorsNamingTheFile) {
  const std::string missing = scratch("missing.h5");
  try {
    io::FieldReader r(missing, MPI_COMM_WORLD);
    FAIL() << "no error for a missing file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.h5: no such file"), std::string::npos) << e.what();
  }
  const std::string text = scratch("not_hdf5.h5");
  if (rank() == 0) std::ofstream(text) << "plain text\n";
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_THROW(io::FieldReader(text, MPI_COMM_WORLD), InputError);

  const std::string path = scratch("shape.h5");
  write_test_file(path, {3, 3, 4, 4}, true);
  io::FieldReader reader(path, MPI_COMM_WORLD);
  try {
    reader.read(io::Hyperslab{0, 4, 0, 3, 0, 4, 0, 4});
    FAIL() << "no error for a block outside the field";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("outside the field"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::FieldReader(path, MPI_COMM_WORLD, "velocity"), InputError);
}

TEST(IoFields, SmallArraysAndAttributesReadSerially) {
  const std::string path = scratch("array.h5");
  write_test_file(path, {3, 3, 4, 4}, true);
  auto a = io::read_array(path, "fields");
  ASSERT_EQ(a.shape, (std::vector<long>{3, 3, 4, 4}));
  EXPECT_EQ(a.data[1 * 48 + 2 * 16 + 3 * 4 + 1], value_at(1, 2, 3, 1));
  EXPECT_DOUBLE_EQ(io::read_attribute_double(path, "fields", "Re"), 8000.0);
  EXPECT_TRUE(io::has_dataset(path, "fields"));
  EXPECT_FALSE(io::has_dataset(path, "nope"));
}
