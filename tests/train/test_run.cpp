// `flex train` as train::run runs it, on field files: NaN or infinite
// training or validation data is an InputError naming the file, snapshot,
// channel and key before any step (run.check_finite); a restart that fails
// leaves no resolved deck; a directory holding another run is refused before
// the data are read.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <regex>

#include "flex/io/fields.hpp"
#include "flex/train/config.hpp"
#include "flex/train/run.hpp"
#include "test_deck.hpp"
#include "tiny_training.hpp"

using namespace flex;
using flex::tiny::on_rank0;
namespace fs = std::filesystem;

namespace {

bool matches(const std::string& text, const std::string& regex) { return std::regex_search(text, std::regex(regex)); }

// fields [6, 1, 32, 32] with Re = 1000; one NaN at snapshot `nan_at`, row 5, column 7 (-1: none).
void write_fields(const std::string& path, long nan_at) {
  const io::FieldShape shape{6, 1, 32, 32};
  std::vector<float> v(static_cast<std::size_t>(shape.count()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
  if (nan_at >= 0) v[static_cast<std::size_t>(nan_at * 32 * 32 + 5 * 32 + 7)] = std::numeric_limits<float>::quiet_NaN();
  io::WriterOptions wo;
  wo.overwrite = true;
  wo.write_xdmf = false;
  io::FieldWriter w(path, MPI_COMM_SELF, shape, wo);
  w.write(io::Hyperslab::all(shape), v.data());
  w.set_attribute("Re", 1000.0);
  w.close();
}

struct Files {
  Files() : dir(tiny::shared_dir("run_files")) {
    on_rank0([&] {
      fs::create_directories(dir);
      write_fields(dir + "/good.h5", -1);
      write_fields(dir + "/nan.h5", 3);
    });
  }
  std::string dir;
};

train::TrainConfig config(const std::string& output_dir, const std::vector<std::string>& overrides) {
  std::vector<std::string> base = {"model.size=tiny", "model.img=32", "model.tasks=sr", "data.train_snapshots=all",
                                   "data.valid_snapshots=odd", "train.batch=1", "train.steps=1",
                                   "train.validation_batches=1", "train.export=", "run.output_dir=" + output_dir,
                                   "run.profile=false"};
  return train::read_config(flex::testing::test_deck(train::declare_keys, base, overrides));
}

void expect_nothing_written(const train::TrainConfig& c) {
  EXPECT_FALSE(fs::exists(c.deck_path())) << "the resolved deck of a run that never started";
  EXPECT_FALSE(fs::exists(c.run.output_dir + "/metrics.jsonl"));
  EXPECT_FALSE(fs::exists(c.run.output_dir + "/checkpoints"));
}

}  // namespace

TEST(TrainRun, NonFiniteTrainingDataIsRefusedBeforeTheFirstStep) {
  Files f;
  const auto c = config(tiny::shared_dir("run_nan"), {"data.files=" + f.dir + "/nan.h5"});
  const std::string e = flex::testing::rejection([&] { train::run(c, MPI_COMM_WORLD); });
  EXPECT_TRUE(matches(e, "nan.h5: snapshot 3, channel 0 holds NaN or infinite values \\(1 in the snapshots .*, the "
                         "first at row 5, column 7; command line: key 'data.files'\\)"))
      << e;
  EXPECT_TRUE(matches(e, "run.check_finite = false")) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  expect_nothing_written(c);
}

TEST(TrainRun, NonFiniteValidationDataNamesItsKey) {
  Files f;
  const auto c = config(tiny::shared_dir("run_nan_valid"),
                        {"data.files=" + f.dir + "/good.h5", "data.valid_files=" + f.dir + "/nan.h5"});
  const std::string e = flex::testing::rejection([&] { train::run(c, MPI_COMM_WORLD); });
  EXPECT_TRUE(matches(e, "nan.h5: snapshot 3, channel 0 .*validation reads.*key 'data.valid_files'.*data.valid_snapshots"))
      << e;
  expect_nothing_written(c);
  // Not read: with validation off the same file is not scanned (and the run trains).
  const auto off = config(tiny::shared_dir("run_nan_valid_off"), {"data.files=" + f.dir + "/good.h5",
                                                                  "data.valid_files=" + f.dir + "/nan.h5",
                                                                  "train.validation_batches=0"});
  EXPECT_EQ(train::run(off, MPI_COMM_WORLD), 0);
  EXPECT_TRUE(fs::exists(off.deck_path()));
}

TEST(TrainRun, FailedRestartWritesNoDeckAndAnotherRunIsRefusedFirst) {
  Files f;
  const std::string out = tiny::shared_dir("run_restart");
  const auto bad = config(out, {"data.files=" + f.dir + "/good.h5", "train.restart=" + out + "/checkpoints/chk00000009"});
  EXPECT_TRUE(matches(flex::testing::rejection([&] { train::run(bad, MPI_COMM_WORLD); }), "chk00000009 is not a checkpoint"));
  expect_nothing_written(bad);

  const auto good = config(out, {"data.files=" + f.dir + "/good.h5"});
  EXPECT_EQ(train::run(good, MPI_COMM_WORLD), 0);
  EXPECT_TRUE(fs::exists(good.deck_path()));
  // A new run into the finished one: refused, before the (bad) data are even read.
  const auto again = config(out, {"data.files=" + f.dir + "/nan.h5", "train.restart=none"});
  const std::string e = flex::testing::rejection([&] { train::run(again, MPI_COMM_WORLD); });
  EXPECT_TRUE(matches(e, "run.output_dir = " + out + " \\(command line\\): holds the outputs of another run.*"
                         "train.restart = none \\(command line\\) starts a new run"))
      << e;
}
