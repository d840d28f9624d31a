#include "flex/model/checkpoint_info.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "flex/config.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

namespace flex::model {

namespace {
constexpr const char* kFormat = "flex-checkpoint-info";
constexpr int kVersion = 1;
}  // namespace

std::string checkpoint_info_path(const std::string& checkpoint) { return output::sidecar(checkpoint, ".json"); }

void write_checkpoint_info(const std::string& checkpoint, const CheckpointInfo& info) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["flex"] = info.flex_version.empty() ? std::string(FLEX_VERSION_STRING) : info.flex_version;
  j["model"] = info.model_keys;
  j["parameterisation"] = info.parameterisation;
  j["norm_mean"] = info.norm_mean;
  j["norm_std"] = info.norm_std;
  j["channels"] = info.channels;
  j["re_scaling"] = info.re_scaling;
  j["sr_factor"] = info.sr_factor;
  j["sr_upsampling"] = info.sr_upsampling;
  j["forecast_step"] = info.forecast_step;
  j["cond_step"] = info.cond_step;
  j["cond_factor"] = info.cond_factor;
  output::write_text_atomic(checkpoint_info_path(checkpoint), j.dump(2) + "\n");
}

std::optional<CheckpointInfo> read_checkpoint_info(const std::string& checkpoint) {
  const std::string path = checkpoint_info_path(checkpoint);
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  FLEX_REQUIRE(in.good(), path << ": cannot read the checkpoint's settings");
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  FLEX_REQUIRE(j.is_object() && j.value("format", "") == kFormat,
               path << ": not a flex checkpoint sidecar (expected \"format\": \"" << kFormat
                    << "\"); move it away to use " << checkpoint << " with the deck's settings");
  FLEX_REQUIRE(j.value("version", 0) <= kVersion,
               path << ": sidecar version " << j.value("version", 0) << " is newer than this flex reads (" << kVersion
                    << ")");
  CheckpointInfo info;
  try {
    info.model_keys = j.at("model").get<std::map<std::string, std::string>>();
    info.parameterisation = j.at("parameterisation").get<std::string>();
    // One number per channel; a single number before multi-channel support,
    // and no norm_mean before ERA5 support (0).
    const auto numbers = [](const nlohmann::json& v) {
      return v.is_array() ? v.get<std::vector<double>>() : std::vector<double>{v.get<double>()};
    };
    info.norm_mean = j.contains("norm_mean") ? numbers(j.at("norm_mean")) : std::vector<double>{0.0};
    info.norm_std = numbers(j.at("norm_std"));
    info.channels = j.value("channels", std::vector<std::string>{});
    info.re_scaling = j.at("re_scaling").get<std::string>();
    info.sr_factor = j.at("sr_factor").get<long>();
    info.sr_upsampling = j.value("sr_upsampling", "shifted");  // before the aligned option: the authors'
    info.forecast_step = j.at("forecast_step").get<long>();
    info.cond_step = j.value("cond_step", false);
    info.cond_factor = j.value("cond_factor", false);
    info.flex_version = j.value("flex", "");
  } catch (const nlohmann::json::exception& e) {
    FLEX_REQUIRE(false, path << ": incomplete checkpoint sidecar (" << e.what() << ")");
  }
  return info;
}

}  // namespace flex::model
