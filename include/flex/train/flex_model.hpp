// The FLEX network as a TrainModel: diffusion loss (SPEC §4) per task, or
// jointly over [SR; FC] in one forward of the shared network with shared time
// and noise (the authors' multitask step); the optional symmetric InfoNCE
// between the two task encoders; 2-step DDIM for validation.
#pragma once

#include <memory>

#include "flex/diffusion/loss.hpp"
#include "flex/data/bicubic.hpp"
#include "flex/diffusion/schedule.hpp"
#include "flex/model/backbone.hpp"
#include "flex/train/trainer.hpp"

namespace flex::train {

struct FlexTrainOptions {
  diffusion::LossOptions loss;
  diffusion::Schedule schedule;
  std::int64_t sample_steps = 2;
  double infonce_weight = 0.0;
  double infonce_temperature = 0.07;
  std::int64_t sr_factor = 8;  // for the InfoNCE pairing of forecast frames
  data::Bicubic sr_upsampling = data::Bicubic::Conditioning;  // the same pairing's SR conditioning
  model::Precision precision = model::Precision::FP32;  // the network's forward (run.precision)
  // Recompute ResBlock / transformer-block activations in backward
  // (train.activation_checkpointing; model/recompute.hpp).
  bool activation_checkpointing = false;
};

// Under run.precision = bf16/fp16 only the network's forward runs in reduced
// precision: its output comes back to fp32 before the loss and the sampler.
// Any backbone (model.backbone = flex | unet | uvit): the loss is taken on
// the variable the backbone diffuses (the residual, or the whole field for a
// raw-space baseline), and predictions come back as the data's residual.
// InfoNCE needs FLEX's task encoders; it is skipped for the baselines.
std::unique_ptr<TrainModel> make_flex_train_model(model::Backbone net, c10::Device device, FlexTrainOptions options);

// Symmetric InfoNCE (Radford et al. 2021, CLIP) between spatially pooled,
// L2-normalised features a, b [B, D, h, w]: sample i of a and b form the
// positive pair, every other sample of the batch a negative.
at::Tensor symmetric_infonce(const at::Tensor& a, const at::Tensor& b, double temperature);

}  // namespace flex::train
