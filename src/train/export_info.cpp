#include "flex/train/export_info.hpp"

#include <string>

#include "flex/data/bicubic.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/model/config.hpp"

namespace flex::train {

model::CheckpointInfo export_info(const TrainConfig& config, const std::vector<double>& norm_mean,
                                  const std::vector<double>& norm_std, const std::vector<std::string>& channels) {
  const data::SampleConfig& sample = config.data.sample;
  model::CheckpointInfo info;
  info.model_keys = config.model_keys;
  // The size-derived shape as built, not the deck's "0 / empty = the size's":
  // a deck that spells out the same shape must not read as a contradiction.
  const model::FlexConfig& f = config.backbone.flex;
  info.model_keys["model.img"] = std::to_string(f.img);
  info.model_keys["model.channels"] = model::join(f.channels);
  info.model_keys["model.blocks"] = model::join(f.blocks);
  info.model_keys["model.depth"] = std::to_string(f.depth);
  info.model_keys["model.heads"] = std::to_string(f.heads);
  info.parameterisation = diffusion::parameterisation_name(config.model_options.loss.param);
  info.norm_mean = norm_mean;
  info.norm_std = norm_std;
  info.channels = channels;
  info.re_scaling = data::re_scaling_name(sample.re_scaling);
  info.sr_factor = sample.factor;
  info.sr_upsampling = data::sr_upsampling_name(sample.sr_upsampling);
  info.forecast_step = sample.horizon;  // Δ in raw snapshots
  info.cond_step = sample.cond_step;
  info.cond_factor = sample.cond_factor;
  return info;
}

}  // namespace flex::train
