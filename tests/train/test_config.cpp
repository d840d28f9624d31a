// The `flex train` deck: read_config fills the plain settings the run uses,
// and rejects bad decks before any file is opened, naming the key and where
// its value came from.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/train/config.hpp"
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
