// The checkpoint sidecar: what `flex train` writes beside its export is what
// `flex infer` reads back; no sidecar means an authors' checkpoint; anything
// else under that name is refused with its path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "flex/core/error.hpp"
#include "flex/model/checkpoint_info.hpp"

namespace fs = std::filesystem;

namespace flex::model {
namespace {

std::string scratch(const std::string& name) {
  const auto dir = fs::temp_directory_path() / "flex_checkpoint_info";
  fs::create_directories(dir);
  fs::remove(dir / (name + ".json"));
  return (dir / (name + ".pt")).string();
}

TEST(CheckpointInfo, RoundTripsBesideTheCheckpoint) {
  const auto ckpt = scratch("trained");
  CheckpointInfo info;
  info.model_keys = {{"model.size", "tiny"}, {"model.tasks", "mt"}, {"unet.blocks", "0"}};
  info.parameterisation = "eps";
  info.norm_std = {3.25};
  info.re_scaling = "log10";
  info.sr_factor = 4;
  info.forecast_step = 2;
  info.cond_step = true;
  write_checkpoint_info(ckpt, info);
  EXPECT_EQ(checkpoint_info_path(ckpt), ckpt.substr(0, ckpt.size() - 3) + ".json");
  const auto back = read_checkpoint_info(ckpt);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->model_keys, info.model_keys);
  EXPECT_EQ(back->parameterisation, "eps");
  EXPECT_EQ(back->norm_std, std::vector<double>{3.25});
  EXPECT_EQ(back->re_scaling, "log10");
  EXPECT_EQ(back->sr_factor, 4);
  EXPECT_EQ(back->forecast_step, 2);
  EXPECT_TRUE(back->cond_step);
  EXPECT_FALSE(back->cond_factor);
  EXPECT_FALSE(back->flex_version.empty());
}

TEST(CheckpointInfo, NoSidecarIsAnAuthorsCheckpoint) { EXPECT_FALSE(read_checkpoint_info(scratch("authors"))); }

TEST(CheckpointInfo, AForeignJsonIsRefusedWithItsPath) {
  const auto ckpt = scratch("foreign");
  std::ofstream(checkpoint_info_path(ckpt)) << "{\"epoch\": 3}";
  try {
    read_checkpoint_info(ckpt);
    FAIL() << "a foreign JSON was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(checkpoint_info_path(ckpt) + ": not a flex checkpoint sidecar"),
              std::string::npos)
        << e.what();
  }
  std::ofstream(checkpoint_info_path(ckpt)) << "not json at all";
  EXPECT_THROW(read_checkpoint_info(ckpt), InputError);
}

}  // namespace
}  // namespace flex::model
