// The fp16 dynamic loss scale: off unless enabled, halved on each overflow
// down to its minimum (after which a non-finite step is a genuinely bad one),
// doubled after kGrowthInterval finite updates in a row.
#include <gtest/gtest.h>

#include "flex/train/loss_scale.hpp"

using flex::train::LossScale;

TEST(LossScale, DisabledIsOneAndNeverAnOverflow) {
  LossScale s;
  EXPECT_EQ(s.factor(), 1.0);
  EXPECT_FALSE(s.update(false));
  EXPECT_EQ(s.factor(), 1.0);
}

TEST(LossScale, HalvesOnOverflowAndGrowsAfterTheInterval) {
  LossScale s;
  s.enabled = true;
  EXPECT_EQ(s.factor(), LossScale::kInitial);
  EXPECT_TRUE(s.update(false));
  EXPECT_EQ(s.scale, LossScale::kInitial / 2);
  for (std::int64_t i = 0; i < LossScale::kGrowthInterval - 1; ++i) EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale, LossScale::kInitial / 2);
  s.update(true);
  EXPECT_EQ(s.scale, LossScale::kInitial);
  EXPECT_EQ(s.good_steps, 0);
  // An overflow resets the run of good steps.
  for (int i = 0; i < 10; ++i) s.update(true);
  s.update(false);
  EXPECT_EQ(s.good_steps, 0);
}

TEST(LossScale, AtTheMinimumANonFiniteStepIsBad) {
  LossScale s;
  s.enabled = true;
  s.scale = 2.0;
  EXPECT_TRUE(s.update(false));
  EXPECT_EQ(s.scale, LossScale::kMinimum);
  EXPECT_FALSE(s.update(false)) << "no scale left to lower: the trainer must count it as a bad step";
  EXPECT_EQ(s.scale, LossScale::kMinimum);
}
