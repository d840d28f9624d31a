// Whole runs through run_dns_simulation: restart is bit-for-bit, outputs are
// complete, bad decks are rejected before any work with the key named.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "flex/core/collectives.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/dns/config.hpp"
#include "flex/dns/run.hpp"
#include "flex/io/fields.hpp"
#include "test_deck.hpp"

namespace fs = std::filesystem;

namespace flex::dns {
namespace {

int world_size() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// A scratch folder shared by every rank, removed at the end.
struct Scratch {
  std::string dir;
  Scratch() {
    dir = mpi::broadcast((fs::temp_directory_path() / ("flex_dns_test_" + std::to_string(::getpid()))).string(),
                          MPI_COMM_WORLD);
  }
  ~Scratch() {
    MPI_Barrier(MPI_COMM_WORLD);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) fs::remove_all(dir);
  }
};

Deck deck_with(const std::vector<std::string>& overrides) {
  return testing::test_deck(declare_keys,
                            {"grid.n=32", "dns.re=500", "dns.k0=4", "dns.dt=0.01", "dns.t_end=0.3",
                             "dns.snapshot_interval=0.05", "dns.checkpoint_interval=7", "run.seed=5"},
                            overrides);
}

RunSummary run_with(const std::vector<std::string>& overrides) {
  const Deck deck = deck_with(overrides);
  return run_dns_simulation(read_config(deck, world_size()), MPI_COMM_WORLD);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DnsRun, RestartIsBitForBit) {
  Scratch scratch;
  const std::string a = scratch.dir + "/a", b = scratch.dir + "/b";
  const RunSummary whole = run_with({"run.output_dir=" + a});
  EXPECT_TRUE(whole.finished);
  EXPECT_EQ(whole.total_steps, 30);
  EXPECT_EQ(whole.snapshots, 7);

  // auto with no checkpoint yet starts afresh (a requeued job's first attempt).
  const RunSummary first = run_with({"run.output_dir=" + b, "dns.max_steps=17", "dns.restart=auto"});
  EXPECT_FALSE(first.finished);
  EXPECT_EQ(first.total_steps, 17);
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(b + "/dns.h5"));
  EXPECT_TRUE(fs::exists(b + "/dns.checkpoints/chk000000014.bin"));
  // As if the job died after step 17: its last checkpoint is step 14, and the
  // snapshot of step 15 already lies in the parts.
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) fs::remove(b + "/dns.checkpoints/chk000000017.bin");
  MPI_Barrier(MPI_COMM_WORLD);
  const RunSummary rest = run_with({"run.output_dir=" + b, "dns.restart=latest"});
  EXPECT_TRUE(rest.finished);
  EXPECT_EQ(rest.steps, 16);

  io::FieldReader fa(a + "/dns.h5", MPI_COMM_WORLD), fb(b + "/dns.h5", MPI_COMM_WORLD);
  ASSERT_EQ(fa.shape().n, 7);
  ASSERT_EQ(fa.shape().c, 3);
  ASSERT_EQ(fb.shape().count(), fa.shape().count());
  const auto box = io::Hyperslab::all(fa.shape());
  EXPECT_TRUE(fa.read(box) == fb.read(box)) << "snapshots differ after restart";
  EXPECT_EQ(fa.attribute_doubles("time"), fb.attribute_doubles("time"));
  EXPECT_NEAR(fa.attribute_doubles("time").back(), 0.3, 1e-15);
  EXPECT_EQ(fa.attribute_double("Re"), 500.0);
  const std::string csv = slurp(a + "/dns_diagnostics.csv");
  EXPECT_EQ(csv, slurp(b + "/dns_diagnostics.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 32);  // header, 30 steps, final state
  EXPECT_FALSE(fs::exists(b + "/dns.parts"));
  EXPECT_FALSE(fs::exists(b + "/dns.checkpoints"));
  EXPECT_TRUE(fs::exists(a + "/dns.xmf"));
  EXPECT_TRUE(fs::exists(a + "/dns.deck.ini"));
}

// Measured FFT plans are saved as wisdom next to the output; a restart plans
// from it, and dns.fft_wisdom makes a fresh run plan like another: so the
// interrupted, restarted run equals the uninterrupted one bit for bit.
TEST(DnsRun, MeasuredPlansRestartBitForBitFromWisdom) {
  Scratch scratch;
  const std::string a = scratch.dir + "/a", b = scratch.dir + "/b";
  EXPECT_TRUE(run_with({"run.output_dir=" + a, "dns.fft_planner=measure"}).finished);
  ASSERT_TRUE(fs::exists(a + "/dns.fftw_wisdom"));
  EXPECT_EQ(slurp(a + "/dns.fftw_wisdom").rfind("(fftw-3", 0), 0u);

  const RunSummary first = run_with({"run.output_dir=" + b, "dns.fft_planner=measure", "dns.max_steps=17",
                                     "dns.fft_wisdom=" + a + "/dns.fftw_wisdom"});
  EXPECT_FALSE(first.finished);
  const RunSummary rest = run_with({"run.output_dir=" + b, "dns.fft_planner=measure", "dns.restart=latest"});
  EXPECT_TRUE(rest.finished);
  io::FieldReader fa(a + "/dns.h5", MPI_COMM_WORLD), fb(b + "/dns.h5", MPI_COMM_WORLD);
  const auto box = io::Hyperslab::all(fa.shape());
  EXPECT_TRUE(fa.read(box) == fb.read(box)) << "snapshots differ after a measured restart";
  EXPECT_EQ(slurp(a + "/dns_diagnostics.csv"), slurp(b + "/dns_diagnostics.csv"));
}

// A restart whose saved wisdom is gone or unreadable plans anew (with a
// warning) instead of refusing to continue.
TEST(DnsRun, MeasuredRestartWithoutItsWisdomStillContinues) {
  Scratch scratch;
  const std::string b = scratch.dir + "/b";
  EXPECT_FALSE(run_with({"run.output_dir=" + b, "dns.fft_planner=measure", "dns.max_steps=17"}).finished);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) std::ofstream(b + "/dns.fftw_wisdom") << "written by some other FFTW\n";
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_TRUE(run_with({"run.output_dir=" + b, "dns.fft_planner=measure", "dns.restart=latest"}).finished);
  EXPECT_EQ(slurp(b + "/dns.fftw_wisdom").rfind("(fftw-3", 0), 0u);  // replaced by the plans it made
}

TEST(DnsRun, RejectsWisdomThatIsNotFftwWisdom) {
  Scratch scratch;
  const std::string junk = scratch.dir + "/junk.wisdom";
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    fs::create_directories(scratch.dir);
    std::ofstream(junk) << "not wisdom\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string message = testing::rejection([&] {
    run_with({"run.output_dir=" + scratch.dir + "/out", "dns.fft_planner=measure", "dns.fft_wisdom=" + junk});
  });
  EXPECT_NE(message.find(junk), std::string::npos) << message;
  EXPECT_NE(testing::rejection([&] { read_config(deck_with({"dns.fft_wisdom=" + junk}), world_size()); })
                .find("dns.fft_wisdom"),
            std::string::npos);
}

TEST(DnsRun, AdaptiveStepsLandOnSnapshotTimes) {
  Scratch scratch;
  const RunSummary s = run_with({"run.output_dir=" + scratch.dir, "dns.dt_mode=cfl", "dns.cfl=0.5",
                                 "dns.dt=0.05", "dns.checkpoint_interval=0", "dns.re=inf"});
  EXPECT_TRUE(s.finished);
  io::FieldReader f(scratch.dir + "/dns.h5", MPI_COMM_WORLD);
  const auto times = f.attribute_doubles("time");
  ASSERT_EQ(times.size(), 7u);
  for (size_t k = 0; k < times.size(); ++k) EXPECT_NEAR(times[k], 0.05 * k, 1e-14);
}

TEST(DnsRun, ContinuesFromASnapshotFile) {
  Scratch scratch;
  const std::string a = scratch.dir + "/a", b = scratch.dir + "/b";
  run_with({"run.output_dir=" + a, "dns.t_end=0.1", "dns.checkpoint_interval=0"});
  const RunSummary s = run_with({"run.output_dir=" + b, "dns.init=file", "dns.init_file=" + a + "/dns.h5",
                                 "dns.t_end=0.2", "dns.checkpoint_interval=0"});
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.total_steps, 10);
  io::FieldReader fa(a + "/dns.h5", MPI_COMM_WORLD), fb(b + "/dns.h5", MPI_COMM_WORLD);
  ASSERT_EQ(fa.shape().n, 3);
  ASSERT_EQ(fb.shape().n, 3);
  const auto times = fb.attribute_doubles("time");
  ASSERT_EQ(times.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(times[k], 0.1 + 0.05 * k, 1e-15);
  // ω of the last snapshot of a is ω of the first of b (float → double → float).
  EXPECT_TRUE(fa.read({2, 1, 2, 1, 0, 32, 0, 32}) == fb.read({0, 1, 2, 1, 0, 32, 0, 32}));
}

TEST(DnsConfig, RejectsBadInputNamingTheKey) {
  const int ranks = world_size();
  EXPECT_NE(testing::rejection([&] { read_config(deck_with({"dns.re=-1"}), ranks); }).find("dns.re"), std::string::npos);
  EXPECT_NE(testing::rejection([&] { read_config(deck_with({"dns.re=0"}), ranks); }).find("dns.re"), std::string::npos);
  EXPECT_NE(testing::rejection([&] { read_config(deck_with({"dns.cfl=1.8"}), ranks); }).find("dns.cfl"), std::string::npos);
  EXPECT_NE(testing::rejection([&] { read_config(deck_with({"grid.n=34"}), 4); }).find("grid.n"), std::string::npos);
  EXPECT_NE(testing::rejection([&] { read_config(deck_with({"dns.channels=w,u"}), ranks); }).find("dns.channels"),
            std::string::npos);
  EXPECT_EQ(testing::rejection([&] { read_config(deck_with({"dns.re=inf"}), ranks); }), "");
}

TEST(DnsConfig, RejectsUnstableFixedStepBeforeWriting) {
  Scratch scratch;
  const std::string message =
      testing::rejection([&] { run_with({"run.output_dir=" + scratch.dir, "dns.dt=0.2", "dns.snapshot_interval=0.2"}); });
  EXPECT_NE(message.find("dns.dt"), std::string::npos) << message;
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(scratch.dir + "/dns.h5"));
}

TEST(DnsConfig, RejectsUnwritableOutput) {
  const std::string message = testing::rejection([&] { run_with({"run.output_dir=/proc/flex-no-such-dir"}); });
  EXPECT_FALSE(message.empty());
}

}  // namespace
}  // namespace flex::dns
