// Parity with the authors' reference implementation on the parity fixture (tests/fixtures):
// v for both tasks, the 2-step DDIM sample and the schedule, to float32
// round-off (<= 1e-4 of each reference field's std).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "flex/core/error.hpp"
#include "flex/diffusion/parity.hpp"

namespace {
const std::string kFixtures = std::string(FLEX_TEST_DATA_DIR) + "/fixtures/";
}

TEST(DiffusionParity, ReferenceFixtureIsReproduced) {
  const auto r = flex::diffusion::run_parity(kFixtures + "parity_tiny.pt", kFixtures + "parity_tiny.h5", torch::kCPU);
  std::vector<std::string> names;
  for (const auto& i : r.items) {
    names.push_back(i.name);
    EXPECT_LE(i.relative(), 1e-4) << i.name << ": max |diff| " << i.max_abs_diff << ", std " << i.ref_std;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"v_sr", "v_fc", "sample_sr_2steps", "logsnr", "alpha", "sigma",
                                             "z_from_r", "v_target"}));
  EXPECT_TRUE(r.passed());
  // The configuration came from the fixture's attributes.
  EXPECT_EQ(r.config.img, 32);
  EXPECT_EQ(r.config.channels, (std::vector<std::int64_t>{32, 32, 64, 64}));
  EXPECT_EQ(r.config.depth, 3);
  EXPECT_EQ(r.config.heads, 2);
  EXPECT_EQ(r.config.cond_frames, 2);
}

TEST(DiffusionParity, WrongInputsAreClearErrors) {
  EXPECT_THROW(flex::diffusion::run_parity(kFixtures + "parity_tiny.h5", kFixtures + "parity_tiny.h5", torch::kCPU),
               flex::InputError);
  EXPECT_THROW(flex::diffusion::run_parity(kFixtures + "parity_tiny.pt", kFixtures + "absent.h5", torch::kCPU),
               flex::InputError);
}

// run.precision = bf16 on the authors' fixture: the network in bf16, held to
// the stated reduced-precision tolerance (parity.hpp), in both layouts.
TEST(DiffusionParity, Bf16StaysWithinItsStatedTolerance) {
  for (const auto layout : {flex::model::MemoryLayout::NCHW, flex::model::MemoryLayout::NHWC}) {
    const auto r = flex::diffusion::run_parity(kFixtures + "parity_tiny.pt", kFixtures + "parity_tiny.h5", torch::kCPU,
                                               flex::model::Precision::BF16, layout);
    EXPECT_EQ(r.tolerance, flex::diffusion::kReducedPrecisionTolerance);
    for (const auto& i : r.items) {
      EXPECT_TRUE(std::isfinite(i.max_abs_diff)) << i.name;
      EXPECT_LE(i.relative(), r.tolerance) << i.name;
      std::printf("bf16 %s %-18s relative %.3e\n", flex::model::memory_layout_name(layout), i.name.c_str(),
                  i.relative());
    }
    EXPECT_TRUE(r.passed());
  }
}
