// What `flex train`'s export was trained as: the sidecar <stem>.json written
// beside train.export (model/checkpoint_info.hpp), so `flex infer` and `flex
// validate` read the network and data settings from the weights' own record.
#pragma once

#include <string>
#include <vector>

#include "flex/model/checkpoint_info.hpp"
#include "flex/train/config.hpp"

namespace flex::train {

// Per trained channel (`channels`, their names): `norm_mean` and `norm_std`
// as the data were normalised (data.norm_*, the statistics, or the std
// measured when data.norm = data).
model::CheckpointInfo export_info(const TrainConfig& config, const std::vector<double>& norm_mean,
                                  const std::vector<double>& norm_std, const std::vector<std::string>& channels);

}  // namespace flex::train
