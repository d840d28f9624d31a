// The `flex train` deck: read_config fills the plain settings the run uses,
// and rejects bad decks before any file is opened, naming the key and where
// its value came from.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/train/config.hpp"
#include "flex/train/export_info.hpp"
#include "test_deck.hpp"

namespace flex::train {
namespace {

Deck deck_with(const std::vector<std::string>& overrides) {
  return testing::test_deck(declare_keys,
                            {"model.size=tiny", "model.img=32", "data.files=a.h5, b.h5", "run.seed=5",
                             "run.output_dir=/tmp/flex-train-config"},
                            overrides);
}

// The InputError message of read_config, or "" if it accepts the deck.
std::string rejection(const std::vector<std::string>& overrides) {
  return testing::rejection([&] { read_config(deck_with(overrides)); });
}

TEST(TrainConfig, ReadsTheDeck) {
  const TrainConfig c = read_config(deck_with({"data.cond_step=true", "optim.warmup_steps=3"}));
  EXPECT_EQ(c.data.train.files, (std::vector<std::string>{"a.h5", "b.h5"}));
  EXPECT_EQ(c.data.valid.files, c.data.train.files);  // data.valid_files empty: the training files
  EXPECT_EQ(c.data.valid.files_origin, "command line: data.files");
  EXPECT_EQ(c.data.train.snapshots, "even");
  EXPECT_EQ(c.data.valid.snapshots, "odd");
  EXPECT_EQ(c.data.valid.snapshots_origin, "<defaults> (default): data.valid_snapshots");
  EXPECT_EQ(c.data.sample.patch, 32);
  EXPECT_EQ(c.backbone.flex.n_cond_scalars, 2);  // Re and the horizon
  EXPECT_EQ(c.model_options.sr_factor, c.data.sample.factor);
  EXPECT_EQ(c.trainer_options.seed, 5u);
  EXPECT_EQ(c.trainer_options.output_dir, "/tmp/flex-train-config");
  EXPECT_EQ(c.trainer_options.lr.warmup_steps, 3);
  EXPECT_LT(c.trainer_options.warmup_fraction, 0);
  EXPECT_EQ(c.deck_path(), "/tmp/flex-train-config/train.deck.ini");
  // The paper's defaults: h = 1 raw snapshot, Re / 40000, one joint update per step.
  EXPECT_EQ(c.data.sample.horizon, 1);
  EXPECT_EQ(c.data.sample.re_scaling, data::ReScaling::Reference);
  EXPECT_EQ(c.trainer_options.mt_update, MultitaskUpdate::Joint);
  EXPECT_EQ(read_config(deck_with({"train.mt_update=alternate"})).trainer_options.mt_update, MultitaskUpdate::Alternate);
}

TEST(TrainConfig, ExportSidecarHoldsTheSettingsUsed) {
  const TrainConfig c = read_config(deck_with({"data.cond_step=true", "data.horizon=3", "data.factor=4",
                                               "data.re_scaling=log10", "train.param=eps", "model.tasks=mt"}));
  const model::CheckpointInfo info = export_info(c, {0.0}, {2.5}, {"w"});
  EXPECT_EQ(info.model_keys.at("model.size"), "tiny");
  EXPECT_EQ(info.model_keys.at("model.img"), "32");
  EXPECT_EQ(info.model_keys.at("model.tasks"), "mt");
  EXPECT_EQ(info.model_keys.at("model.cond_scalars"), "2");  // as built from data.*, not the key's default 1
  EXPECT_EQ(info.model_keys.count("model.init_from"), 0u);
  EXPECT_EQ(info.model_keys.count("model.backbone"), 1u);
  EXPECT_TRUE(std::any_of(info.model_keys.begin(), info.model_keys.end(),
                          [](const auto& kv) { return kv.first.rfind("unet.", 0) == 0; }));
  EXPECT_TRUE(std::none_of(info.model_keys.begin(), info.model_keys.end(),
                           [](const auto& kv) { return kv.first.rfind("data.", 0) == 0 || kv.first.rfind("run.", 0) == 0; }));
  EXPECT_EQ(info.parameterisation, "eps");
  EXPECT_EQ(info.norm_std, std::vector<double>{2.5});
  EXPECT_EQ(info.re_scaling, "log10");
  EXPECT_EQ(info.sr_factor, 4);
  EXPECT_EQ(info.forecast_step, 3);
  EXPECT_TRUE(info.cond_step);
  EXPECT_FALSE(info.cond_factor);
}

TEST(TrainConfig, RejectionsNameTheKeyAndWhereItWasSet) {
  EXPECT_NE(rejection({"data.files=,"}).find("command line: data.files is empty"), std::string::npos);
  EXPECT_NE(rejection({"data.patch=16"}).find("command line: data.patch = 16 differs from model.img = 32"),
            std::string::npos);
  EXPECT_NE(rejection({"data.re=1000"}).find("command line: data.re has 1 values for 2 files"), std::string::npos);
  EXPECT_NE(rejection({"model.cond_scalars=2"}).find("command line: model.cond_scalars = 2 but data.* conditioning gives 1"),
            std::string::npos);
  EXPECT_NE(rejection({"train.batch=3", "train.accumulation=2"}).find("train.accumulation = 2 must divide"),
            std::string::npos);
  EXPECT_NE(rejection({"model.init_from=/nonexistent/init.pt"}).find("model.init_from = /nonexistent/init.pt does not exist"),
            std::string::npos);
  EXPECT_EQ(rejection({"data.re=1000,2000", "model.cond_scalars=1"}), "");
}

}  // namespace
}  // namespace flex::train
