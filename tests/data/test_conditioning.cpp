// Conditioning scalars (SPEC §3): the authors' Re / 40000 on their training
// and unseen Reynolds numbers, the other scalings, and the optional step and
// factor scalars.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "flex/core/error.hpp"
#include "flex/data/dataset.hpp"

using namespace flex;
using namespace flex::data;

TEST(Conditioning, ReferenceScalingIsTheAuthors) {
  SampleConfig c;  // the default: data.re_scaling = ref
  EXPECT_EQ(c.re_scaling, ReScaling::Reference);
  // The authors' training Re (SPEC §2) and the conditioning their loaders feed.
  const std::vector<std::pair<double, float>> seen = {
      {2000, 0.05f}, {4000, 0.1f}, {8000, 0.2f}, {16000, 0.4f}, {32000, 0.8f}};
  for (const auto& [re, want] : seen)
    for (Task task : {Task::SuperResolution, Task::Forecast}) {
      const auto v = conditioning(c, task, re);
      ASSERT_EQ(v.size(), 1u);
      EXPECT_FLOAT_EQ(v[0], want) << "Re " << re;
    }
  // The unseen Re of Table 1: outside [0.05, 0.8] below 2000 and above 32000.
  const std::vector<std::pair<double, float>> unseen = {
      {600, 0.015f}, {1000, 0.025f}, {12000, 0.3f}, {24000, 0.6f}, {36000, 0.9f}};
  for (const auto& [re, want] : unseen) EXPECT_FLOAT_EQ(conditioning(c, Task::SuperResolution, re)[0], want) << "Re " << re;
}

TEST(Conditioning, OtherScalingsAndDeckWords) {
  EXPECT_DOUBLE_EQ(scaled_reynolds(ReScaling::Log10, 1e4), 0.0);
  EXPECT_DOUBLE_EQ(scaled_reynolds(ReScaling::Log10, 1e3), -1.0);
  EXPECT_DOUBLE_EQ(scaled_reynolds(ReScaling::Linear, 32000), 3.2);
  EXPECT_DOUBLE_EQ(scaled_reynolds(ReScaling::Reference, 40000), 1.0);
  for (ReScaling s : {ReScaling::Reference, ReScaling::Log10, ReScaling::Linear})
    EXPECT_EQ(parse_re_scaling(re_scaling_name(s)), s);
  EXPECT_EQ(std::string(re_scaling_name(ReScaling::Reference)), "ref");
  EXPECT_THROW(parse_re_scaling("log"), InputError);
}

TEST(Conditioning, StepAndFactorScalars) {
  SampleConfig c;
  c.re_scaling = ReScaling::Linear;
  c.cond_step = c.cond_factor = true;
  c.horizon = 3;
  const auto fc = conditioning(c, Task::Forecast, 32000);
  ASSERT_EQ(fc.size(), 3u);
  EXPECT_FLOAT_EQ(fc[0], 3.2f);
  EXPECT_FLOAT_EQ(fc[1], 3.0f);  // step' = h, in raw snapshots
  EXPECT_FLOAT_EQ(fc[2], 0.0f);
  const auto sr = conditioning(c, Task::SuperResolution, 32000);
  EXPECT_FLOAT_EQ(sr[1], 0.0f);
  EXPECT_FLOAT_EQ(sr[2], 1.0f);  // factor' = 8 / 8
  EXPECT_EQ(conditioning_count(c), 3);
}
