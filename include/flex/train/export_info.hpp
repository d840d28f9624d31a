// What `flex train`'s export was trained as: the sidecar <stem>.json written
// beside train.export (model/checkpoint_info.hpp), so `flex infer` and `flex
// validate` read the network and data settings from the weights' own record.
#pragma once

#include "flex/model/checkpoint_info.hpp"
#include "flex/train/config.hpp"

namespace flex::train {

// `norm_std` is the std the data was divided by (data.norm_std, or the one
// measured when data.norm = data).
model::CheckpointInfo export_info(const TrainConfig& config, double norm_mean, double norm_std);

}  // namespace flex::train
