// Per-channel statistics of a split (io/channel_stats.hpp): exact against a
// direct two-pass computation at any rank count, cached and reused, and the
// held-out splits normalised with the training split's statistics.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>  // getpid

#include "../support/layout_files.hpp"
#include "flex/core/collectives.hpp"
#include "flex/io/channel_stats.hpp"

namespace fs = std::filesystem;
using namespace flex;

namespace {

int rank() {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// An ERA5 split: train/ with two years, test_1/ with one.
fs::path make_split(const std::string& name) {
  const fs::path dir = mpi::broadcast(
      fs::temp_directory_path().string() + "/flex_stats_test_" + std::to_string(::getpid()) + "/" + name, MPI_COMM_WORLD);
  if (rank() == 0) {
    fs::create_directories(dir / "train"), fs::create_directories(dir / "test_1");
    flex::testing::write_era5((dir / "train" / "1979.h5").string(), 3, 9);
    flex::testing::write_era5((dir / "train" / "1980.h5").string(), 2, 9);
    flex::testing::write_era5((dir / "test_1" / "2016.h5").string(), 2, 9);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

}  // namespace

TEST(ChannelStats, HeldOutSplitsUseTheTrainingFiles) {
  const auto dir = make_split("split");
  const auto files = io::statistics_files((dir / "test_1" / "2016.h5").string());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(fs::path(files[0]).filename(), "1979.h5");
  EXPECT_EQ(fs::path(files[1]).filename(), "1980.h5");
  EXPECT_EQ(io::statistics_files((dir / "train" / "1980.h5").string()), files);
}

TEST(ChannelStats, MatchTwoPassStatisticsAndAreCached) {
  const auto dir = make_split("stats");
  const auto files = io::statistics_files((dir / "train" / "1979.h5").string());
  const auto stats = io::channel_statistics(files, io::FieldLayout{}, MPI_COMM_WORLD);
  ASSERT_EQ(stats.mean.size(), 3u);
  EXPECT_EQ(stats.snapshots, 5);
  // Two passes in long double over the cropped 8 x 16 view of each snapshot.
  for (hsize_t c = 0; c < 3; ++c) {
    long double sum = 0, sq = 0, count = 0;
    for (const auto& [name, snapshots] : {std::pair<const char*, hsize_t>{"1979", 3}, {"1980", 2}})
      for (hsize_t n = 0; n < snapshots; ++n)
        for (hsize_t i = 0; i < 8; ++i)
          for (hsize_t j = 0; j < 16; ++j) sum += flex::testing::era5_value(n, c, i, j, 9), count += 1;
    const long double mean = sum / count;
    for (const auto& [name, snapshots] : {std::pair<const char*, hsize_t>{"1979", 3}, {"1980", 2}})
      for (hsize_t n = 0; n < snapshots; ++n)
        for (hsize_t i = 0; i < 8; ++i)
          for (hsize_t j = 0; j < 16; ++j) {
            const long double d = flex::testing::era5_value(n, c, i, j, 9) - mean;
            sq += d * d;
          }
    EXPECT_NEAR(stats.mean[c], static_cast<double>(mean), 1e-12 * std::abs(static_cast<double>(mean)));
    EXPECT_NEAR(stats.std[c], std::sqrt(static_cast<double>(sq / count)), 1e-9);
  }
  const fs::path cache = dir / "train" / "flex_stats.era5.json";
  EXPECT_EQ(stats.source, cache.string());
  EXPECT_TRUE(fs::exists(cache));

  // A second call reads the cache: a cache edited by hand is what comes back.
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank() == 0) {
    std::ifstream in(cache);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"snapshots\": 5");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 14, "\"snapshots\": 6");
    std::ofstream(cache) << text;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(io::channel_statistics(files, io::FieldLayout{}, MPI_COMM_WORLD).snapshots, 6);

  // A changed file invalidates it.
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank() == 0) flex::testing::write_era5((dir / "train" / "1980.h5").string(), 4, 9);
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(io::channel_statistics(files, io::FieldLayout{}, MPI_COMM_WORLD).snapshots, 7);  // 3 + 4, recomputed
}
