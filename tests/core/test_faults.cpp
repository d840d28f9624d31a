// The one error path: failures agreed over ranks, multi-file outputs that
// appear whole or not at all, full disks, and temporaries of killed runs.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

using namespace flex;
namespace fs = std::filesystem;

namespace {

int rank_of() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int size_of() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// A folder of this rank's own, empty.
fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("flex_faults_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_temporaries(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
  return false;
}

// A tmpfs of `kib` KiB, filled to the last byte; empty path where mounting is not allowed.
struct FullDisk {
  fs::path dir;
  explicit FullDisk(const std::string& name, int kib = 256) {
    const fs::path d = scratch(name);
    const std::string mount = "mount -t tmpfs -o size=" + std::to_string(kib) + "k tmpfs " + d.string() + " 2>/dev/null";
    if (std::system(mount.c_str()) != 0) return;
    dir = d;
  }
  void fill() const {
    std::system(("dd if=/dev/zero of=" + (dir / "filler").string() + " bs=4k 2>/dev/null; dd if=/dev/zero of=" +
                 (dir / "filler2").string() + " bs=1 2>/dev/null")
                    .c_str());
  }
  ~FullDisk() {
    if (dir.empty()) return;
    std::system(("umount " + dir.string()).c_str());
    fs::remove_all(dir);
  }
};

}  // namespace

TEST(Agree, AnErrorOnOneRankIsRaisedOnEveryRank) {
  const int last = size_of() - 1;
  try {
    mpi::agree(MPI_COMM_WORLD, [&] { FLEX_REQUIRE(rank_of() != last, "rank " << last << " read a bad value"); });
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "rank " + std::to_string(last) + " read a bad value");
  }
  // Not an input error: stays an Error (exit 1), and the lowest failing rank's message wins.
  try {
    mpi::agree(MPI_COMM_WORLD, [&] { throw std::runtime_error("broken on rank " + std::to_string(rank_of())); });
    FAIL() << "no error";
  } catch (const InputError&) {
    FAIL() << "became an input error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "broken on rank 0");
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(size_of(), 1) << "unagreed at " << size_of() << " ranks";  // one rank: propagates as it is
    EXPECT_EQ(std::string(e.what()), "broken on rank 0");
  }
  EXPECT_NO_THROW(mpi::agree(MPI_COMM_WORLD, [] {}));
  EXPECT_THROW(mpi::on_root(MPI_COMM_WORLD, [] { FLEX_REQUIRE(false, "root only"); }), InputError);
}

TEST(StagedFiles, AllAppearOrNone) {
  if (rank_of() != 0) return;
  const fs::path d = scratch("staged");
  std::ofstream(d / "a.csv") << "old a\n";
  {
    output::StagedFiles files;
    files.add((d / "a.csv").string(), "new a\n");
    files.add((d / "b.json").string(), "new b\n");
    // Destroyed uncommitted, as when a later file fails: nothing replaced, nothing left.
  }
  EXPECT_EQ(read_text(d / "a.csv"), "old a\n");
  EXPECT_FALSE(fs::exists(d / "b.json"));
  EXPECT_FALSE(has_temporaries(d));
  {
    output::StagedFiles files;
    files.add((d / "a.csv").string(), "new a\n");
    files.add((d / "b.json").string(), "new b\n");
    files.commit();
  }
  EXPECT_EQ(read_text(d / "a.csv"), "new a\n");
  EXPECT_EQ(read_text(d / "b.json"), "new b\n");
  EXPECT_FALSE(has_temporaries(d));
  fs::remove_all(d);
}

TEST(Output, TemporariesOfAKilledRunAreRemovedByTheNextRun) {
  if (rank_of() != 0) return;
  const fs::path d = scratch("stale");
  std::ofstream(d / ".out.h5.tmp99999") << "partial";
  std::ofstream(d / ".other.h5.tmp99999") << "someone else's";
  fs::create_directories(d / ".out.h5.tmp12345");
  output::ensure_writable((d / "out.h5").string(), false);
  EXPECT_FALSE(fs::exists(d / ".out.h5.tmp99999"));
  EXPECT_FALSE(fs::exists(d / ".out.h5.tmp12345"));
  EXPECT_TRUE(fs::exists(d / ".other.h5.tmp99999"));  // only the temporaries of the file about to be written
  fs::remove_all(d);
}

TEST(Output, AFullDiskIsAnInputErrorThatReplacesNothing) {
  if (rank_of() != 0) return;
  FullDisk disk("full");
  if (disk.dir.empty()) GTEST_SKIP() << "cannot mount a tmpfs here";
  const fs::path out = disk.dir / "metrics.json";
  output::write_text_atomic(out.string(), "old\n");
  disk.fill();
  const std::string big(64 * 1024, 'x');
  try {
    output::write_text_atomic(out.string(), big);
    FAIL() << "a write to a full disk succeeded";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(out.string() + ": cannot write the file (disk full or over quota?; 0 bytes free in"),
              std::string::npos)
        << what;
  }
  try {
    output::StagedFiles files;
    files.add((disk.dir / "a.csv").string(), big);
    FAIL() << "a staged write to a full disk succeeded";
  } catch (const InputError&) {
  }
  EXPECT_EQ(read_text(out), "old\n");
  EXPECT_FALSE(has_temporaries(disk.dir));
  EXPECT_FALSE(fs::exists(disk.dir / "a.csv"));
}
