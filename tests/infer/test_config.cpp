// The `flex infer` deck: read_config resolves what the run needs (halo,
// output path under run.output_dir) and rejects bad values before any file
// or network is touched, naming the key and where its value came from; a
// checkpoint's settings sidecar fills in the keys the deck left at default.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/infer/config.hpp"
#include "flex/model/checkpoint_info.hpp"
#include "test_deck.hpp"

namespace flex::infer {
namespace {

Deck deck_with(const std::vector<std::string>& overrides) {
  return testing::test_deck(declare_keys, {"model.size=tiny", "run.output_dir=/tmp/flex-infer-config"}, overrides);
}

// The InputError message of read_config, or "" if it accepts the deck.
std::string rejection(const std::vector<std::string>& overrides) {
  return testing::rejection([&] { read_config(deck_with(overrides)); });
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A dummy <dir>/ckpt.pt (read_config only checks it exists) with, or
// without, a settings sidecar ckpt.json; removed with the object.
struct Checkpoint {
  std::filesystem::path dir;
  std::string pt, sidecar;
  Checkpoint(const std::string& name, const std::optional<model::CheckpointInfo>& info) {
    dir = std::filesystem::temp_directory_path() / ("flex-infer-" + name + "-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    pt = (dir / "ckpt.pt").string();
    std::ofstream(pt) << "not read";
    sidecar = model::checkpoint_info_path(pt);
    if (info) model::write_checkpoint_info(pt, *info);
  }
  ~Checkpoint() { std::filesystem::remove_all(dir); }
};

model::CheckpointInfo trained_with_step_two() {
  model::CheckpointInfo info;
  info.model_keys = {{"model.size", "tiny"}, {"model.tasks", "mt"}};
  info.norm_std = {17.5519};
  info.channels = {"w"};
  info.re_scaling = "log10";
  info.forecast_step = 2;
  return info;
}

TEST(InferConfig, ResolvesHaloBoundaryAndOutput) {
  const auto c = read_config(deck_with({"infer.boundary=reflect", "infer.members=3", "run.seed=9"}));
  EXPECT_EQ(c.task, Task::SuperResolution);
  // The authors' conditioning and feedback are the defaults.
  EXPECT_EQ(c.re_scaling, data::ReScaling::Reference);
  EXPECT_EQ(c.feedback, Feedback::Mean);
  EXPECT_EQ(read_config(deck_with({"infer.feedback=member"})).feedback, Feedback::Member);
  EXPECT_EQ(c.model.flex.img, 32);
  EXPECT_EQ(c.halo, 1);  // -1: patch/32, at least 1
  EXPECT_EQ(c.boundary, decomp::Boundary::Reflect);
  EXPECT_EQ(c.members, 3);
  EXPECT_EQ(c.run.seed, 9u);
  EXPECT_EQ(c.output, "/tmp/flex-infer-config/prediction.h5");
  EXPECT_EQ(read_config(deck_with({"infer.output=/elsewhere/p.h5"})).output, "/elsewhere/p.h5");
  EXPECT_EQ(read_config(deck_with({"infer.halo=0"})).halo, 0);
}

TEST(InferConfig, InputsMayBeMissingUntilTheJobRuns) {
  const auto c = read_config(deck_with({}));
  EXPECT_EQ(c.missing_inputs(), (std::vector<std::string>{"infer.input", "infer.checkpoint"}));
  try {
    c.require_inputs();
    FAIL() << "require_inputs accepted an empty infer.input";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "<defaults> (default): key 'infer.input' is required")) << e.what();
  }
}

TEST(InferConfig, RejectionsNameTheKeyAndWhereItWasSet) {
  EXPECT_TRUE(contains(rejection({"infer.halo=16"}),
                       "command line: key 'infer.halo' = 16 must be below half the patch (model.img = 32)"));
  EXPECT_TRUE(contains(rejection({"infer.checkpoint=/nonexistent/ckpt.pt"}),
                       "command line: key 'infer.checkpoint' = /nonexistent/ckpt.pt does not exist"));
  EXPECT_TRUE(contains(rejection({"infer.input=/nonexistent/dns.h5"}),
                       "command line: key 'infer.input' = /nonexistent/dns.h5 does not exist"));
  EXPECT_TRUE(contains(rejection({"infer.task=fc", "infer.start=1", "infer.horizon=2"}),
                       "command line: key 'infer.start' = 1 is before infer.horizon = 2"));
  EXPECT_TRUE(contains(rejection({"model.cond_scalars=2"}),
                       "command line: key 'model.cond_scalars' = 2 but inference conditions on 1 scalar(s)"));
  // Forecast positions only matter to forecasting.
  EXPECT_EQ(rejection({"infer.start=1", "infer.horizon=2"}), "");
}

// Forecasting counts raw snapshots: an old deck stepping through a list is
// refused rather than run with another step than it meant.
TEST(InferConfig, ForecastingRefusesASnapshotList) {
  EXPECT_TRUE(contains(rejection({"infer.task=fc", "infer.snapshots=odd"}),
                       "command line: key 'infer.snapshots' = odd is not used by forecasting"));
  const auto c = read_config(deck_with({"infer.task=fc", "infer.start=600", "infer.horizon=1", "infer.rollout=30"}));
  EXPECT_EQ(c.start, 600);
  EXPECT_EQ(c.horizon, 1);
  EXPECT_EQ(c.rollout, 30);
  EXPECT_EQ(rejection({"infer.snapshots=odd"}), "");  // super-resolution selects with it
}

TEST(InferConfig, InheritsTheCheckpointsSettings) {
  const Checkpoint ckpt("inherit", trained_with_step_two());
  const auto c = read_config(deck_with({"infer.checkpoint=" + ckpt.pt, "infer.task=fc", "infer.start=5"}));
  EXPECT_EQ(c.horizon, 2);
  EXPECT_EQ(c.norm_std, std::vector<double>{17.5519});
  EXPECT_EQ(c.channels, "w");  // the trained channel, by name
  EXPECT_EQ(c.re_scaling, data::ReScaling::Log10);
  EXPECT_EQ(c.model.flex.tasks, model::TaskSet::Multitask);
  EXPECT_EQ(c.factor, 8);
  // The resolved deck written beside the outputs says where they came from.
  EXPECT_TRUE(contains(c.run.deck_text, "infer.horizon = 2  # from " + ckpt.sidecar)) << c.run.deck_text;
  // Repeating the checkpoint's value is no contradiction.
  EXPECT_EQ(read_config(deck_with({"infer.checkpoint=" + ckpt.pt, "infer.horizon=2"})).horizon, 2);
}

TEST(InferConfig, RefusesADeckContradictingTheCheckpoint) {
  const Checkpoint ckpt("contradict", trained_with_step_two());
  const auto why = rejection({"infer.checkpoint=" + ckpt.pt, "infer.horizon=1"});
  EXPECT_TRUE(contains(why, "command line: key 'infer.horizon' = 1 contradicts " + ckpt.sidecar)) << why;
  EXPECT_TRUE(contains(why, "which has 2")) << why;
}

// The data settings are the deck's defaults, not the network's: applying the
// network zero-shot to another channel with another std is no contradiction.
TEST(InferConfig, TheDataSettingsOfACheckpointMayBeOverridden) {
  const Checkpoint ckpt("zero-shot", trained_with_step_two());
  const auto c = read_config(deck_with({"infer.checkpoint=" + ckpt.pt, "infer.norm_std=3.5", "infer.channel=u"}));
  EXPECT_EQ(c.norm_std, std::vector<double>{3.5});
  EXPECT_EQ(c.channels, "u");
  EXPECT_EQ(c.horizon, 2);  // the network's settings still inherited
}

TEST(InferConfig, ACheckpointWithoutSidecarKeepsTheDecksValues) {
  const Checkpoint ckpt("authors", std::nullopt);
  const auto c = read_config(deck_with({"infer.checkpoint=" + ckpt.pt, "infer.horizon=3", "infer.norm_std=2.5"}));
  EXPECT_EQ(c.horizon, 3);
  EXPECT_EQ(c.norm_std, std::vector<double>{2.5});
  EXPECT_EQ(read_config(deck_with({"infer.checkpoint=" + ckpt.pt})).horizon, 1);
}

TEST(InferConfig, RefusesConditioningScalarsItCannotFeed) {
  auto info = trained_with_step_two();
  info.cond_step = true;
  const Checkpoint ckpt("cond-step", info);
  const auto why = rejection({"infer.checkpoint=" + ckpt.pt});
  EXPECT_TRUE(contains(why, ckpt.sidecar + ": the checkpoint was trained with the forecast step as a conditioning"))
      << why;
}

}  // namespace
}  // namespace flex::infer
