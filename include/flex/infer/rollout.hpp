// Autoregressive forecasting of one whole field: from the known frames
// (x_{t0-Δ}, x_{t0}) each lead predicts the next frame from the two latest,
// feeding back either the ensemble mean to every member (the authors'
// evaluation, SPEC §3) or each member's own prediction.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "flex/decomp/tiling.hpp"
#include "flex/infer/config.hpp"
#include "flex/infer/field_inference.hpp"

namespace flex::infer {

// The predictor of ensemble members [first, first + count) (flex_predictor
// with member_offset = first: noise differs between the rollouts of members).
using MemberPredictor = std::function<PatchPredictor(std::int64_t first, std::int64_t count)>;

struct RolloutOptions {
  std::int64_t leads = 1;
  std::int64_t members = 1;
  Feedback feedback = Feedback::Mean;
  std::int64_t batch = 4;  // patches per predictor call
};

// prev, last: [C, H, W] (normalised, CPU float32); the network sees them as
// [2C, H, W], each frame's channels together, oldest first. Returns one
// [K, C, H, W] tensor of members per lead. Lead k's patch ids start at k * tiling.count(). Collective.
std::vector<at::Tensor> rollout(const at::Tensor& prev, const at::Tensor& last, const decomp::Tiling& tiling,
                                const MemberPredictor& predictor, const RolloutOptions& options, MPI_Comm comm);

}  // namespace flex::infer
