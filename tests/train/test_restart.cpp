// A resume checks the checkpoint before trusting it, on every rank alike:
// state.json's scalars in range, every file it lists with the recorded size
// and hash, every archive readable (our message, not LibTorch's backtrace),
// and the run's seed, optimiser and model keys those of the deck unless
// train.restart_override = true says the change is intended. Checkpoints of
// earlier versions, which list no files, still load. A refused resume writes
// no resolved deck and trains no step.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>

#include "flex/comm/communicator.hpp"
#include "flex/train/checkpoint.hpp"
#include "tiny_training.hpp"

using namespace flex;
using flex::tiny::on_rank0;
namespace fs = std::filesystem;

namespace {

train::TrainResult train_in(const train::TrainOptions& o, tiny::TinyTrainModel& m, const tiny::TinyData& d) {
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  train::Trainer t(m, *comm, MPI_COMM_WORLD, {d.sr.get()}, {}, o);
  return t.run();
}

bool matches(const std::string& text, const std::string& regex) { return std::regex_search(text, std::regex(regex)); }

// 4 steps with checkpoints at 2 and 4, recording the model keys of the run.
train::TrainOptions run_options(const tiny::TinyData& d, const std::string& dir) {
  auto o = d.options(dir);
  o.checkpoint_every = 2;
  model::CheckpointInfo info;
  info.model_keys = {{"model.size", "tiny"}, {"model.tasks", "sr"}};
  o.export_info = info;
  return o;
}

class Restart : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = tiny::shared_dir("restart_base");
    tiny::TinyTrainModel m;
    EXPECT_EQ(train_in(run_options(data_, base_), m, data_).steps_done, 4);
  }

  // A copy of the finished run, damaged by `damage` (on rank 0, given its chk00000004).
  std::string damaged_copy(const std::string& tag, const std::function<void(const std::string&)>& damage) {
    const std::string dir = tiny::shared_dir(tag);
    on_rank0([&] {
      fs::copy(base_, dir, fs::copy_options::recursive);
      if (damage) damage(dir + "/checkpoints/chk00000004");
    });
    return dir;
  }

  // Resuming `dir` (train.restart = auto) for 2 more steps: the InputError, or "" when it trained.
  std::string resume(const std::string& dir, const std::function<void(train::TrainOptions&)>& change = {}) {
    auto o = run_options(data_, dir);
    o.steps = 6;
    o.deck_path = dir + "/resumed.deck.ini";
    o.deck_text = "train.steps = 6\n";
    if (change) change(o);
    tiny::TinyTrainModel m;
    const std::string e = flex::testing::rejection([&] { EXPECT_EQ(train_in(o, m, data_).steps_done, 6); });
    if (!e.empty()) {
      EXPECT_EQ(m.calls, 0) << "trained before refusing the checkpoint";
      EXPECT_FALSE(fs::exists(o.deck_path)) << "a refused resume wrote the resolved deck";
      EXPECT_EQ(e.find('\n'), std::string::npos) << e;
      EXPECT_EQ(e.find("Exception raised from"), std::string::npos) << e;
    } else {
      EXPECT_TRUE(fs::exists(o.deck_path));
    }
    return e;
  }

  tiny::TinyData data_;
  std::string base_;
};

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(tiny::file_bytes(path)); }
void write_json(const std::string& path, const nlohmann::json& j) { tiny::write_bytes(path, j.dump()); }

void truncate_file(const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); }

void flip_byte(const std::string& path) {
  std::string bytes = tiny::file_bytes(path);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  tiny::write_bytes(path, bytes);
}

}  // namespace

TEST_F(Restart, StateRecordsEveryFileAndTheModel) {
  const nlohmann::json j = read_json(base_ + "/checkpoints/chk00000004/state.json");
  for (const char* name : {"model.pt", "ema.pt", "optimizer.pt", "data_order.pt", "rng.pt"}) {
    ASSERT_TRUE(j["files"].contains(name)) << name;
    const std::string bytes = tiny::file_bytes(base_ + "/checkpoints/chk00000004/" + name);
    EXPECT_EQ(j["files"][name]["bytes"].get<std::uint64_t>(), bytes.size()) << name;
    EXPECT_EQ(j["files"][name]["fnv1a64"].get<std::string>(), train::fnv1a64(bytes)) << name;
  }
  EXPECT_EQ(j["model"]["model.size"], "tiny");
  EXPECT_EQ(train::fnv1a64(""), "cbf29ce484222325");  // the FNV-1a 64 offset basis
  EXPECT_EQ(resume(damaged_copy("restart_intact", {})), "");
}

TEST_F(Restart, ScalarsOutOfRangeAreRefused) {
  const std::vector<std::tuple<const char*, nlohmann::json, const char*>> cases = {
      {"step", -5, "\"step\" = -5, but a checkpoint's step is >= 0"},
      {"lr_scale", -1.0, "\"lr_scale\" = -1.0, but the learning-rate scale"},
      {"lr_scale", "x", "\"lr_scale\" = \"x\" is not a number"},
      {"bad_run", -1, "\"bad_run\" = -1"},
      {"ranks", 0, "\"ranks\" = 0, but a rank count is >= 1"},
      {"epoch", 7, "\"epoch\" = 7, but step / steps_per_epoch"}};
  int i = 0;
  for (const auto& [key, value, regex] : cases) {
    const std::string dir = damaged_copy("restart_scalar" + std::to_string(i++), [&, key = key, value = value](const std::string& chk) {
      nlohmann::json j = read_json(chk + "/state.json");
      j[key] = value;
      write_json(chk + "/state.json", j);
    });
    const std::string e = resume(dir);
    EXPECT_TRUE(matches(e, std::string("chk00000004/state.json: ") + regex)) << key << ": " << e;
    // Not a difference of settings: no override accepts it.
    EXPECT_FALSE(resume(dir, [](train::TrainOptions& o) { o.restart_override = true; }).empty()) << key;
  }
}

TEST_F(Restart, DamagedFilesAreRefusedByName) {
  EXPECT_TRUE(matches(resume(damaged_copy("restart_order", [](const std::string& c) { truncate_file(c + "/data_order.pt"); })),
                      "chk00000004/data_order.pt: truncated or damaged \\([0-9]+ bytes, state.json records [0-9]+\\)"));
  EXPECT_TRUE(matches(resume(damaged_copy("restart_optim", [](const std::string& c) { flip_byte(c + "/optimizer.pt"); })),
                      "chk00000004/optimizer.pt: truncated or damaged \\(its FNV-1a hash differs"));
  EXPECT_TRUE(matches(resume(damaged_copy("restart_model", [](const std::string& c) { truncate_file(c + "/model.pt"); })),
                      "chk00000004/model.pt: truncated or damaged"));
  EXPECT_TRUE(matches(resume(damaged_copy("restart_rng", [](const std::string& c) { fs::remove(c + "/rng.pt"); })),
                      "chk00000004/rng.pt: missing"));
  EXPECT_TRUE(matches(resume(damaged_copy("restart_json", [](const std::string& c) { truncate_file(c + "/state.json"); })),
                      "chk00000004/state.json: not valid JSON"));
}

TEST_F(Restart, EarlierVersionsLoadAndUnreadableArchivesAreOurMessage) {
  auto unlisted = [](const std::string& chk) {
    nlohmann::json j = read_json(chk + "/state.json");
    j.erase("files");
    j.erase("model");
    write_json(chk + "/state.json", j);
  };
  EXPECT_EQ(resume(damaged_copy("restart_old", unlisted)), "");
  const std::string e = resume(damaged_copy("restart_old_truncated", [&](const std::string& c) {
    unlisted(c);
    truncate_file(c + "/model.pt");
  }));
  EXPECT_TRUE(matches(e, "chk00000004/model.pt: not a readable LibTorch archive \\(truncated or damaged\\?\\)")) << e;
}

TEST_F(Restart, ChangedSettingsNeedTheOverride) {
  struct Case {
    const char* tag;
    std::function<void(train::TrainOptions&)> change;
    const char* regex;
  };
  const std::vector<Case> cases = {
      {"seed",
       [](train::TrainOptions& o) {
         o.seed = 7;
         o.origins["run.seed"] = "command line";
       },
       "run.seed: checkpoint 99, deck 7 \\(command line\\)"},
      {"optim", [](train::TrainOptions& o) { o.optimizer.name = "adamw"; }, "optim.name: checkpoint lion, deck adamw"},
      {"model", [](train::TrainOptions& o) { o.export_info->model_keys["model.size"] = "small"; },
       "model.size: checkpoint tiny, deck small"}};
  for (const auto& c : cases) {
    const std::string dir = damaged_copy(std::string("restart_changed_") + c.tag, {});
    const std::string e = resume(dir, c.change);
    EXPECT_TRUE(matches(e, "chk00000004/state.json: the checkpoint was trained with other settings than the deck's: " +
                               std::string(c.regex) + ".*train.restart_override = true"))
        << c.tag << ": " << e;
    EXPECT_EQ(resume(dir, [&](train::TrainOptions& o) {
                c.change(o);
                o.restart_override = true;
              }),
              "")
        << c.tag;
  }
  // Every difference at once, in one message.
  const std::string e = resume(damaged_copy("restart_changed_all", {}), [](train::TrainOptions& o) {
    o.seed = 7;
    o.optimizer.name = "adamw";
  });
  EXPECT_TRUE(matches(e, "run.seed: checkpoint 99, deck 7; optim.name: checkpoint lion, deck adamw")) << e;
}
