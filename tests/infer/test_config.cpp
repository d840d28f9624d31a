// The `flex infer` deck: read_config resolves what the run needs (halo,
// output path under run.output_dir) and rejects bad values before any file
// or network is touched, naming the key and where its value came from.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/infer/config.hpp"
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

TEST(InferConfig, ResolvesHaloBoundaryAndOutput) {
  const auto c = read_config(deck_with({"infer.boundary=reflect", "infer.members=3", "run.seed=9"}));
  EXPECT_EQ(c.task, Task::SuperResolution);
  EXPECT_EQ(c.model.flex.img, 32);
  EXPECT_EQ(c.halo, 4);  // -1: patch/8
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

}  // namespace
}  // namespace flex::infer
