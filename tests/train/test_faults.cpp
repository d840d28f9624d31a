// Faults around a training run, on every rank alike: a run.output_dir that
// holds another run is refused unless resumed or overwritten (and an
// overwrite does not mix the old checkpoints with the new); a checkpoint or
// export that cannot be written is a clean InputError that leaves no
// temporary directory and the earlier checkpoints intact; the resolved deck
// appears only once a run has started; final EMA weights that are not finite
// fail the run.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <unistd.h>  // getpid

#include "flex/comm/communicator.hpp"
#include "flex/train/checkpoint.hpp"
#include "flex/train/start.hpp"
#include "tiny_training.hpp"

using namespace flex;
using flex::tiny::on_rank0;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> hidden_entries(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(".", 0) == 0) out.push_back(e.path().string());
  return out;
}

train::TrainResult train_in(const train::TrainOptions& o, tiny::TinyTrainModel& m, const tiny::TinyData& d) {
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  train::Trainer t(m, *comm, MPI_COMM_WORLD, {d.sr.get()}, {}, o);
  return t.run();
}

bool matches(const std::string& text, const std::string& regex) { return std::regex_search(text, std::regex(regex)); }

}  // namespace

TEST(TrainFaults, AnotherRunsDirectoryIsRefusedUnlessResumedOrOverwritten) {
  tiny::TinyData d;
  const std::string dir = tiny::shared_dir("guard");
  auto first = d.options(dir);
  first.checkpoint_every = 2;
  first.export_name = "flex_ema.pt";
  first.deck_path = dir + "/train.deck.ini";
  first.deck_text = "run.seed = 99\n";
  {
    tiny::TinyTrainModel m;
    EXPECT_EQ(train_in(first, m, d).steps_done, 4);
  }
  const std::string model_before = tiny::file_bytes(dir + "/flex_ema.pt");
  ASSERT_FALSE(model_before.empty());

  // A new run into it: refused on every rank, naming what is there and the ways on.
  auto fresh = first;
  fresh.restart = "none";
  fresh.origins["train.restart"] = "command line";
  {
    tiny::TinyTrainModel m;
    const std::string e = flex::testing::rejection([&] { train_in(fresh, m, d); });
    EXPECT_TRUE(matches(e, "holds the outputs of another run \\(checkpoints/chk00000002, checkpoints/chk00000004, "
                           "metrics.jsonl, train.deck.ini, flex_ema.pt\\)"))
        << e;
    EXPECT_TRUE(matches(e, "train.restart = none \\(command line\\) starts a new run")) << e;
    EXPECT_TRUE(matches(e, "train.restart = auto.*run.overwrite = true")) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    EXPECT_EQ(m.calls, 0);  // refused before any step
  }
  // A checkpoint of another directory resumed into it: refused too.
  {
    const std::string elsewhere = tiny::shared_dir("guard_elsewhere");
    on_rank0([&] {
      fs::create_directories(elsewhere);
      fs::copy(dir + "/checkpoints", elsewhere + "/checkpoints", fs::copy_options::recursive);
    });
    auto other = first;
    other.restart = elsewhere + "/checkpoints/chk00000004";
    tiny::TinyTrainModel m;
    EXPECT_TRUE(matches(flex::testing::rejection([&] { train_in(other, m, d); }), "resumes a checkpoint of another directory"));
  }
  EXPECT_EQ(tiny::file_bytes(dir + "/flex_ema.pt"), model_before);

  // Resuming it (auto, the default) is what the directory is for.
  {
    auto resume = first;
    resume.steps = 6;
    tiny::TinyTrainModel m;
    EXPECT_EQ(train_in(resume, m, d).steps_done, 6);
    EXPECT_TRUE(fs::exists(dir + "/checkpoints/chk00000006/state.json"));
  }
  // run.overwrite = true replaces it, and none of its checkpoints survive beside the new ones.
  {
    auto over = fresh;
    over.overwrite = true;
    over.steps = 2;
    over.checkpoint_every = 1;
    tiny::TinyTrainModel m;
    EXPECT_EQ(train_in(over, m, d).steps_done, 2);
    train::CheckpointStore store(dir + "/checkpoints", 3);
    EXPECT_EQ(store.steps(), (std::vector<std::int64_t>{1, 2}));
    EXPECT_FALSE(fs::exists(dir + "/checkpoints/chk00000004"));
    EXPECT_NE(tiny::file_bytes(dir + "/flex_ema.pt"), model_before);
  }
}

TEST(TrainFaults, AutoWithoutACheckpointReplacesOnlyLogs) {
  const std::string dir = tiny::shared_dir("auto_logs");
  tiny::TinyData d;
  on_rank0([&] {
    fs::create_directories(dir);
    tiny::write_bytes(dir + "/metrics.jsonl", "{\"step\": 10}\n");
  });
  auto o = d.options(dir);
  const train::StartPlan logs_only = train::plan_start(o, MPI_COMM_WORLD);
  EXPECT_TRUE(logs_only.checkpoint.empty());
  EXPECT_TRUE(logs_only.replaces_run);  // a run killed before its first checkpoint: nothing to resume or lose
  // A finished model without checkpoints would be lost: refused.
  o.export_name = "flex_ema.pt";
  on_rank0([&] { tiny::write_bytes(dir + "/flex_ema.pt", "weights"); });
  const std::string e = flex::testing::rejection([&] { train::plan_start(o, MPI_COMM_WORLD); });
  EXPECT_TRUE(matches(e, "finds no checkpoint there to resume.*; set run.overwrite = true to replace that run")) << e;
  o.overwrite = true;
  EXPECT_TRUE(train::plan_start(o, MPI_COMM_WORLD).replaces_run);
}

TEST(TrainFaults, FullDiskCheckpointIsAnInputErrorAndKeepsTheEarlierOnes) {
  // Serial: each rank its own store.
  const std::string dir = "/tmp/flex_train_full_" + std::to_string(getpid()) + "_" + std::to_string(tiny::world_rank());
  fs::remove_all(dir);
  train::CheckpointStore store(dir, 3);
  train::Checkpoint c;
  c.state.step = 2;
  c.state.steps_per_epoch = 2;
  c.state.epoch = 1;
  c.model = {{"w", torch::randn({64})}};
  c.ema = c.model;
  c.optimizer = {{"lion.m.0", torch::randn({64})}};
  c.data_order = {{"sr", torch::arange(4)}};
  c.rng = {{"rank0", torch::ones({2}, torch::kUInt8)}};
  store.write(2, [&](const std::string& tmp) { train::write_checkpoint(tmp, c); });
  const std::string before = tiny::file_bytes(dir + "/chk00000002/model.pt");

  c.state.step = 4;
  c.state.epoch = 2;
  // ema.pt lands on /dev/full: every write to it fails with ENOSPC, as on a full disk.
  const std::string e = flex::testing::rejection([&] {
    store.write(4, [&](const std::string& tmp) {
      fs::create_symlink("/dev/full", tmp + "/ema.pt");
      train::write_checkpoint(tmp, c);
    });
  });
  EXPECT_TRUE(matches(e, "ema.pt: cannot write the checkpoint \\(disk full or over quota\\?")) << e;
  EXPECT_TRUE(matches(e, "chk00000004 was not written, the earlier checkpoints are kept")) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_TRUE(hidden_entries(dir).empty());  // no temporary directory keeps the disk full
  EXPECT_EQ(store.steps(), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(tiny::file_bytes(dir + "/chk00000002/model.pt"), before);
  EXPECT_NO_THROW(train::read_checkpoint(dir + "/chk00000002"));
  EXPECT_TRUE(fs::exists("/dev/full"));  // a failed write removes only a regular file

  // Straight onto /dev/full: the same message, with the free space.
  const std::string direct = flex::testing::rejection([] { train::write_file_checked("/dev/full", "bytes", "the checkpoint"); });
  EXPECT_TRUE(matches(direct, "^/dev/full: cannot write the checkpoint \\(disk full or over quota\\?")) << direct;
  EXPECT_TRUE(fs::exists("/dev/full"));
  fs::remove_all(dir);
}

TEST(TrainFaults, CheckpointAndExportFailuresReachEveryRank) {
  tiny::TinyData d;
  const std::string dir = tiny::shared_dir("unwritable");
  // checkpoints/ is a file: rank 0 cannot write the step-2 checkpoint (root ignores permissions, not this).
  on_rank0([&] {
    fs::create_directories(dir);
    tiny::write_bytes(dir + "/checkpoints", "not a directory");
  });
  auto o = d.options(dir);
  o.checkpoint_every = 2;
  o.deck_path = dir + "/train.deck.ini";
  {
    tiny::TinyTrainModel m;
    const std::string e = flex::testing::rejection([&] { train_in(o, m, d); });
    EXPECT_TRUE(matches(e, "checkpoints: cannot create the checkpoint directory")) << e;
  }
  // The export's folder is a file: the export fails on every rank, nothing is left half-written.
  const std::string dir2 = tiny::shared_dir("unwritable_export");
  on_rank0([&] {
    fs::create_directories(dir2);
    tiny::write_bytes(dir2 + "/sub", "not a directory");
  });
  auto o2 = d.options(dir2);
  o2.export_name = "sub/flex_ema.pt";
  {
    tiny::TinyTrainModel m;
    const std::string e = flex::testing::rejection([&] { train_in(o2, m, d); });
    EXPECT_TRUE(matches(e, "sub/\\.flex_ema\\.pt\\.tmp[0-9]+: cannot create the exported EMA weights")) << e;
  }
}

TEST(TrainFaults, ResolvedDeckIsWrittenOnlyWhenTheRunStarts) {
  tiny::TinyData d;
  const std::string dir = tiny::shared_dir("deck");
  auto o = d.options(dir);
  o.deck_path = dir + "/train.deck.ini";
  o.deck_text = "run.seed = 99\n";
  o.restart = dir + "/checkpoints/chk00000009";  // no such checkpoint
  {
    tiny::TinyTrainModel m;
    EXPECT_TRUE(matches(flex::testing::rejection([&] { train_in(o, m, d); }), "chk00000009 is not a checkpoint"));
  }
  EXPECT_FALSE(fs::exists(o.deck_path));
  o.restart = "auto";
  tiny::TinyTrainModel m;
  EXPECT_EQ(train_in(o, m, d).steps_done, 4);
  EXPECT_EQ(tiny::file_bytes(o.deck_path), o.deck_text);
}

TEST(TrainFaults, NonFiniteFinalEmaWeightsFailTheRun) {
  tiny::TinyData d;
  const std::string dir = tiny::shared_dir("nan_ema");
  auto o = d.options(dir);
  o.export_name = "flex_ema.pt";
  tiny::TinyTrainModel m;
  m.poison_buffer_at = 2;  // every loss stays finite; the buffer, and so the EMA, does not
  const std::string e = flex::testing::rejection([&] { train_in(o, m, d); });
  EXPECT_TRUE(matches(e, "the EMA weights are not finite at step 4.*nothing was exported")) << e;
  EXPECT_FALSE(fs::exists(dir + "/flex_ema.pt"));
  EXPECT_FALSE(fs::exists(dir + "/checkpoints/chk00000004"));
}
