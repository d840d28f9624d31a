// Seeds, timers, atomic output and collectives.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>  // getpid

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/seed.hpp"

using namespace flex;
namespace fs = std::filesystem;

TEST(Seeds, StreamsAreDistinctAndReproducible) {
  std::set<std::uint64_t> seen;
  for (std::uint64_t member = 0; member < 16; ++member)
    for (std::uint64_t patch = 0; patch < 16; ++patch)
      seen.insert(derive_seed(42, Stream::kSamplerNoise, {member, patch}));
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(derive_seed(42, Stream::kSamplerNoise, {3, 4}), derive_seed(42, Stream::kSamplerNoise, {3, 4}));
  EXPECT_NE(derive_seed(42, Stream::kSamplerNoise, {3, 4}), derive_seed(42, Stream::kDataOrder, {3, 4}));
  EXPECT_NE(derive_seed(42, Stream::kSamplerNoise, {3, 4}), derive_seed(43, Stream::kSamplerNoise, {3, 4}));
}

TEST(Profiler, NestedRegionsSplitExclusiveTimeAndReportOverRanks) {
  prof::reset();
  {
    FLEX_PROFILE("outer");
    for (int i = 0; i < 3; ++i) {
      FLEX_PROFILE("inner");
      volatile double x = 0;
      for (int k = 0; k < 100000; ++k) x = x + k;
    }
  }
  EXPECT_GT(prof::inclusive_seconds("outer"), 0.0);
  EXPECT_GE(prof::inclusive_seconds("outer"), prof::inclusive_seconds("inner"));
  std::ostringstream out;
  prof::report(MPI_COMM_WORLD, out);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    EXPECT_NE(out.str().find("inner"), std::string::npos);
    EXPECT_NE(out.str().find("TIMERS"), std::string::npos);
  }
}

TEST(Output, AtomicWriteReplacesOnlyWhenComplete) {
  const auto dir = fs::temp_directory_path() / ("flex_out_" + std::to_string(::getpid()) + "_" +
                                                std::to_string([] { int r; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }()));
  const auto path = (dir / "sub" / "result.txt").string();
  output::ensure_writable(path, false);
  output::write_text_atomic(path, "first\n");
  EXPECT_THROW(output::ensure_writable(path, false), InputError);
  output::ensure_writable(path, true);
  output::write_text_atomic(path, "second\n");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "second");
  for (const auto& e : fs::directory_iterator(dir / "sub")) EXPECT_EQ(e.path().filename(), "result.txt");
  EXPECT_EQ(output::sidecar("/a/b/run.h5", ".xmf"), "/a/b/run.xmf");
}

TEST(Collectives, ShareCoversEverythingOnceAndBalanced) {
  for (int size : {1, 2, 3, 7}) {
    long next = 0;
    for (int r = 0; r < size; ++r) {
      auto s = mpi::share(10, r, size);
      EXPECT_EQ(s.begin, next);
      EXPECT_TRUE(s.size() == 10 / size || s.size() == 10 / size + 1);
      next = s.end;
    }
    EXPECT_EQ(next, 10);
  }
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(mpi::any(rank == size - 1, MPI_COMM_WORLD), true);
  EXPECT_DOUBLE_EQ(mpi::sum(1.0, MPI_COMM_WORLD), size);
  EXPECT_EQ(mpi::broadcast(rank == 0 ? "root" : "other", MPI_COMM_WORLD), "root");
}

// Ranks waiting at idle_barrier leave only after the last rank enters, and
// sleep meanwhile: their CPU time stays far below the wait.
TEST(Collectives, IdleBarrierWaitsWithoutSpinning) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const auto cpu_seconds = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
  };
  MPI_Barrier(MPI_COMM_WORLD);
  const double wall0 = MPI_Wtime(), cpu0 = cpu_seconds();
  if (rank == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double entered = rank == 0 ? MPI_Wtime() : 0.0;
  mpi::idle_barrier(MPI_COMM_WORLD);
  const double left = MPI_Wtime(), cpu = cpu_seconds() - cpu0;
  EXPECT_GE(left, mpi::max(entered, MPI_COMM_WORLD) - 1e-3);  // one node: one clock
  if (rank != 0) {
    EXPECT_GT(left - wall0, 0.25);
    EXPECT_LT(cpu, 0.5 * (left - wall0)) << "a waiting rank spun for " << cpu << " s of CPU";
  }
}
