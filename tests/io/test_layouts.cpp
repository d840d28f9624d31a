// The external layouts (io/layout.hpp) through io::FieldReader: PDEBench
// velocity with vorticity derived on read (order 2, walls included), ERA5
// with its South Pole row cropped, format detection, and one-line errors.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>  // getpid

#include "../support/layout_files.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"
#include "flex/io/wall_derivative.hpp"

namespace fs = std::filesystem;
using namespace flex;

namespace {

int rank() {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Same path on every rank; rank 0 writes the file.
std::string scratch(const std::string& name, const std::function<void(const std::string&)>& make) {
  const std::string dir = mpi::broadcast(
      fs::temp_directory_path().string() + "/flex_layout_test_" + std::to_string(::getpid()), MPI_COMM_WORLD);
  const std::string path = dir + "/" + name;
  if (rank() == 0) fs::create_directories(dir), make(path);
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Max |w - exact| of the derived vorticity of a generic smooth field (no
// symmetry that would cancel the one-sided stencils' leading error at the
// walls) on n x n cell centres: over the whole box, and over the wall rows
// and columns. u = e^x sin(2y + 0.3), v = cos(1.5x + 0.2) e^y.
std::pair<double, double> vorticity_error(long n) {
  const auto u_of = [](double x, double y) { return std::exp(x) * std::sin(2 * y + 0.3); };
  const auto v_of = [](double x, double y) { return std::cos(1.5 * x + 0.2) * std::exp(y); };
  const auto w_of = [](double x, double y) {
    return -1.5 * std::sin(1.5 * x + 0.2) * std::exp(y) - 2 * std::exp(x) * std::cos(2 * y + 0.3);
  };
  std::vector<float> u(n * n), v(n * n);
  const auto centre = [n](long i) { return (static_cast<double>(i) + 0.5) / static_cast<double>(n); };
  for (long i = 0; i < n; ++i)
    for (long j = 0; j < n; ++j)
      u[i * n + j] = static_cast<float>(u_of(centre(i), centre(j))),
      v[i * n + j] = static_cast<float>(v_of(centre(i), centre(j)));
  const io::WallBlock all{0, n, 0, n, n, n, 1.0 / n, 1.0 / n};
  const auto w = io::vorticity_between_walls(u.data(), v.data(), all, all);
  double worst = 0, walls = 0;
  for (long i = 0; i < n; ++i)
    for (long j = 0; j < n; ++j) {
      const double e = std::abs(w[i * n + j] - w_of(centre(i), centre(j)));
      worst = std::max(worst, e);
      if (i == 0 || j == 0 || i == n - 1 || j == n - 1) walls = std::max(walls, e);
    }
  return {worst, walls};
}

}  // namespace

TEST(Layouts, FormatWordsRoundTrip) {
  for (const auto& word : io::format_words()) EXPECT_EQ(io::format_name(io::parse_format(word)), word);
  EXPECT_THROW(io::parse_format("netcdf"), InputError);
  EXPECT_FALSE(io::periodicity_of(io::Format::PdeBench).rows);
  EXPECT_FALSE(io::periodicity_of(io::Format::PdeBench).cols);
  EXPECT_FALSE(io::periodicity_of(io::Format::Era5).rows);
  EXPECT_TRUE(io::periodicity_of(io::Format::Era5).cols);
  EXPECT_TRUE(io::periodicity_of(io::Format::SuperBench).rows);
}

TEST(Layouts, DerivedVorticityIsSecondOrderIncludingTheWalls) {
  const auto [coarse, coarse_walls] = vorticity_error(32);
  const auto [fine, fine_walls] = vorticity_error(64);
  EXPECT_NEAR(std::log2(coarse / fine), 2.0, 0.15);
  EXPECT_NEAR(std::log2(coarse_walls / fine_walls), 2.0, 0.15);
  EXPECT_LT(fine, 1e-2);  // against |w| of order 3
}

TEST(Layouts, PdebenchReadsOneBatchEntryAsUVW) {
  const long n = 16, steps = 3;
  const auto path = scratch("ns_incom_inhom_2d_512-0.h5", [&](const std::string& p) { flex::testing::write_pdebench(p, 2, steps, n); });
  io::FieldLayout layout;
  layout.batch_index = 1;
  io::FieldReader reader(path, MPI_COMM_WORLD, layout);
  EXPECT_EQ(reader.format(), io::Format::PdeBench);
  EXPECT_EQ(reader.dataset(), "velocity");
  const auto s = reader.shape();
  EXPECT_EQ(s.n, steps);
  EXPECT_EQ(s.c, 3);
  EXPECT_EQ(s.h, n);
  EXPECT_EQ(s.w, n);
  EXPECT_EQ(reader.channel_names(), (std::vector<std::string>{"u", "v", "w"}));
  EXPECT_FALSE(reader.periodicity().rows);

  const auto all = reader.read(io::Hyperslab::snapshots(s, 2, 1));  // snapshot 2, every channel
  const double a = flex::testing::pdebench_amplitude(1, 2);
  const auto centre = [n](long i) { return (static_cast<double>(i) + 0.5) / static_cast<double>(n); };
  double w_error = 0;
  for (long i = 0; i < n; ++i)
    for (long j = 0; j < n; ++j) {
      EXPECT_FLOAT_EQ(all[i * n + j], static_cast<float>(flex::testing::pdebench_u(a, centre(i), centre(j))));
      EXPECT_FLOAT_EQ(all[n * n + i * n + j], static_cast<float>(flex::testing::pdebench_v(a, centre(i), centre(j))));
      w_error = std::max(w_error, std::abs(all[2 * n * n + i * n + j] - flex::testing::pdebench_w(a, centre(i), centre(j))));
    }
  EXPECT_LT(w_error, 0.1 * 2 * M_PI * a);  // 16 samples: O(h^2) with h = 1/16

  // A window of w (touching the wall at row 0) equals the same part of the whole plane.
  const auto window = reader.read({2, 1, 2, 1, 0, 5, 7, 6});
  for (long i = 0; i < 5; ++i)
    for (long j = 0; j < 6; ++j) EXPECT_FLOAT_EQ(window[i * 6 + j], all[2 * n * n + i * n + (7 + j)]);
  // Strided, u to w: every third pixel of the same plane (w from the dense band its samples span).
  const auto strided = reader.read({2, 1, 0, 3, 1, 4, 2, 5, 3});
  for (long c = 0; c < 3; ++c)
    for (long i = 0; i < 4; ++i)
      for (long j = 0; j < 5; ++j)
        EXPECT_FLOAT_EQ(strided[(c * 4 + i) * 5 + j], all[c * n * n + (1 + 3 * i) * n + (2 + 3 * j)]) << c << i << j;
}

TEST(Layouts, PdebenchErrorsNameTheFileAndKey) {
  const auto good = scratch("pde_good.h5", [](const std::string& p) { flex::testing::write_pdebench(p, 2, 2, 8); });
  io::FieldLayout layout;
  layout.batch_index = 2;
  layout.batch_index_about = "deck.ini: key 'infer.batch_index' = 2";
  EXPECT_EQ(error_of([&] { io::FieldReader(good, MPI_COMM_WORLD, layout); }),
            good + ": deck.ini: key 'infer.batch_index' = 2 is outside its 2 batch entries (0 to 1)");
  const auto bad = scratch("pde_bad.h5", [](const std::string& p) { flex::testing::write_pdebench(p, 1, 2, 8, 3); });
  EXPECT_EQ(error_of([&] { io::FieldReader(bad, MPI_COMM_WORLD, io::FieldLayout{}); }),
            bad + ": format pdebench needs dataset 'velocity' as [batch, t, x, y, 2] (u, v); it is [1, 2, 8, 8, 3]");
  io::FieldLayout era5;
  era5.format = io::Format::Era5;
  EXPECT_EQ(error_of([&] { io::FieldReader(good, MPI_COMM_WORLD, era5); }),
            good + ": format era5 needs dataset 'fields' [N,C,H,W]; the file has none");
}

TEST(Layouts, Era5DropsTheSouthPoleRowAndNamesItsChannels) {
  const long lat = 17;
  const auto path = scratch("1979.h5", [&](const std::string& p) { flex::testing::write_era5(p, 2, lat); });
  io::FieldReader reader(path, MPI_COMM_WORLD, io::FieldLayout{});
  EXPECT_EQ(reader.format(), io::Format::Era5);
  const auto s = reader.shape();
  EXPECT_EQ(s.h, lat - 1);
  EXPECT_EQ(s.w, 2 * (lat - 1));
  EXPECT_EQ(reader.channel_names(), (std::vector<std::string>{"ke10m", "t2m", "tcwv"}));
  EXPECT_FALSE(reader.periodicity().rows);
  EXPECT_TRUE(reader.periodicity().cols);
  const auto t2m = reader.read({1, 1, 1, 1, 0, s.h, 0, s.w});
  for (long i = 0; i < s.h; ++i)
    for (long j = 0; j < s.w; ++j) ASSERT_FLOAT_EQ(t2m[i * s.w + j], flex::testing::era5_value(1, 1, i, j, lat));
  EXPECT_THROW(reader.read({0, 1, 0, 1, 0, s.h + 1, 0, s.w}), InputError);  // the pole row is not part of the view

  // The same file forced to the superbench layout keeps every row.
  io::FieldLayout superbench;
  superbench.format = io::Format::SuperBench;
  EXPECT_EQ(io::FieldReader(path, MPI_COMM_WORLD, superbench).shape().h, lat);
}

TEST(Layouts, AutoNamesEveryLayoutWhenNoneMatches) {
  const auto path = scratch("other.h5", [](const std::string& p) {
    hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    flex::testing::write_dataset(f, "pressure", {2, 4, 4}, [](const std::vector<hsize_t>&) { return 1.0f; });
    H5Fclose(f);
  });
  EXPECT_EQ(error_of([&] { io::FieldReader(path, MPI_COMM_WORLD, io::FieldLayout{}); }),
            path + ": no field dataset: expected 'fields' [N,C,H,W] (SuperBench, ERA5), 'w' [T,H,W] (FLEX) or "
                   "'velocity' [batch,t,x,y,2] (PDEBench)");
}
