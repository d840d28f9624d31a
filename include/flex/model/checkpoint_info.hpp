// What a checkpoint was trained as, kept beside its reference-format weights
// in a JSON sidecar <stem>.json: the .pt stays a plain state dict that loads
// strict=True into the authors' PyTorch modules, and flex's own readers
// (`flex infer`, `flex validate`) take the network and data settings from the
// sidecar instead of trusting a deck to repeat them. An authors' checkpoint
// has no sidecar and runs with the deck's values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace flex::model {

struct CheckpointInfo {
  // model.*, unet.* and uvit.* keys as resolved for training (never model.init_from).
  std::map<std::string, std::string> model_keys;
  std::string parameterisation = "v";  // what the network predicts: v | eps | x
  // Per trained channel: subtracted before the division (data.norm_mean, or
  // the statistics), and the std fields were divided by (data.norm_std, or measured).
  std::vector<double> norm_mean{0.0};
  std::vector<double> norm_std{5.4574137};
  std::vector<std::string> channels;   // names of the trained channels, in order; empty before multi-channel support
  std::string re_scaling = "ref";      // Reynolds conditioning: ref (Re/40000) | log10 | linear
  long sr_factor = 8;                  // SR subsampling factor trained on
  std::string sr_upsampling = "shifted";  // SR conditioning trained on: shifted (the authors') | aligned
  long forecast_step = 1;              // FC step Δ in raw snapshots
  bool cond_step = false;              // forecast step appended as a conditioning scalar
  bool cond_factor = false;            // SR factor / 8 appended as a conditioning scalar
  std::string flex_version;            // the build that wrote it
};

// <dir>/<stem>.json for a checkpoint <dir>/<stem>.pt.
std::string checkpoint_info_path(const std::string& checkpoint);

// Writes the sidecar of `checkpoint` atomically.
void write_checkpoint_info(const std::string& checkpoint, const CheckpointInfo& info);

// The sidecar of `checkpoint`, or nullopt if there is none (an authors'
// checkpoint). A sidecar that is not flex's JSON is an InputError naming it.
std::optional<CheckpointInfo> read_checkpoint_info(const std::string& checkpoint);

}  // namespace flex::model
