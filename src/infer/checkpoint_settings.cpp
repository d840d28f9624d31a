// A checkpoint trained by flex says what it was trained as (<stem>.json):
// inference takes the network and data settings from there rather than
// trusting a deck to repeat them. It refuses a deck that contradicts the
// network's settings; the data's (channel, normalisation) a deck may override.
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/infer/config.hpp"
#include "flex/io/channel_selection.hpp"
#include "flex/model/checkpoint_info.hpp"

namespace flex::infer {

namespace {

// The shortest text that reads back as x: a deck value compares equal to it
// only if it is the same double (Deck::inherit compares numerically).
std::string exact_text(double x) {
  std::string text;
  for (int digits = 6; digits <= std::numeric_limits<double>::max_digits10; ++digits) {
    std::ostringstream s;
    s << std::setprecision(digits) << x;
    text = s.str();
    if (std::stod(text) == x) break;
  }
  return text;
}

std::string exact_list(const std::vector<double>& xs) {
  std::string text;
  for (size_t k = 0; k < xs.size(); ++k) text += (k ? "," : "") + exact_text(xs[k]);
  return text;
}

// What the network is: a deck must agree with it.
std::map<std::string, std::string> binding_values(const model::CheckpointInfo& info) {
  auto keys = info.model_keys;
  keys["infer.parameterisation"] = info.parameterisation;
  keys["infer.re_scaling"] = info.re_scaling;
  keys["infer.factor"] = std::to_string(info.sr_factor);
  keys["infer.sr_upsampling"] = info.sr_upsampling;
  keys["infer.horizon"] = std::to_string(info.forecast_step);
  return keys;
}

// What the data were: the defaults of a deck, which may override them to
// apply the network to other data (zero-shot: another channel, another std).
std::map<std::string, std::string> data_values(const model::CheckpointInfo& info) {
  std::map<std::string, std::string> keys;
  keys["infer.norm_mean"] = exact_list(info.norm_mean);
  keys["infer.norm_std"] = exact_list(info.norm_std);
  if (!info.channels.empty()) keys["infer.channel"] = io::channels_text(info.channels);
  return keys;
}

}  // namespace

Deck with_checkpoint_settings(const Deck& deck) {
  const auto& checkpoint = deck.get_string("infer.checkpoint");
  // A missing checkpoint is read_config's error, with the key's origin.
  if (checkpoint.empty() || !std::filesystem::exists(checkpoint)) return deck;
  const auto info = model::read_checkpoint_info(checkpoint);
  if (!info) return deck;
  const auto sidecar = model::checkpoint_info_path(checkpoint);
  // Inference conditions on the Reynolds number alone (sampling.cpp).
  FLEX_REQUIRE(!info->cond_step && !info->cond_factor,
               sidecar << ": the checkpoint was trained with "
                       << (info->cond_step ? "the forecast step" : "the SR factor")
                       << " as a conditioning scalar (data.cond_step / data.cond_factor); flex infer conditions on "
                          "the Reynolds number only and cannot run it yet");
  auto values = binding_values(*info);
  const std::string label = sidecar + " (the checkpoint's settings)";
  const auto declared = deck.values_with_prefix("");  // the keys this command declares
  for (const auto& [key, value] : data_values(*info)) {
    if (!declared.count(key)) continue;
    if (deck.origin(key) == Deck::Origin::Default) {
      values[key] = value;
    } else if (key == "infer.channel" ? deck.get_string(key) != value
                                      : deck.get_reals(key) != (key == "infer.norm_mean" ? info->norm_mean : info->norm_std)) {
      log::info("infer: ", deck.where(key), ": ", key, " = ", deck.get_string(key), " overrides ", label, ", which has ",
                value);
    }
  }
  auto inherited = deck.inherit(values, label);
  // The keys the deck left at their default took the checkpoint's values.
  std::string taken;
  for (const auto& [key, value] : values)
    if (declared.count(key) && deck.origin(key) == Deck::Origin::Default)
      taken += (taken.empty() ? "" : ", ") + key + " = " + value;
  log::info("infer: from ", sidecar, ", the checkpoint's settings: ", taken.empty() ? "(the deck set them all)" : taken);
  return inherited;
}

}  // namespace flex::infer
