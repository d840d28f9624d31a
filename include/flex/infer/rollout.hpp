// Autoregressive forecasting of one whole field held in blocks
// (decomp/blocks.hpp): from the known frames (x_{t0-Δ}, x_{t0}) each lead
// predicts the next frame from the two latest, feeding back either the
// ensemble mean to every member (the authors' evaluation, SPEC §3) or each
// member's own prediction. Each rank keeps only its block of the frames; a
// halo fill brings the reach its patches read before every lead. Leads are
// handed out as they are made, so memory does not grow with their number, and
// a rollout can start at any lead from the frames it would have fed back there.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

#include "flex/decomp/blocks.hpp"
#include "flex/infer/config.hpp"
#include "flex/infer/field_inference.hpp"

namespace flex::infer {

// The predictor of ensemble members [first, first + count) over the
// rollout's decomposition (block_predictor with member_offset = first: noise
// differs between the rollouts of members).
using MemberPredictor = std::function<BlockPredictor(std::int64_t first, std::int64_t count)>;

// Where lead `lead` starts: this rank's block of the two latest frames of
// every member, [K, C, h, w] each, normalised, CPU float32 (with mean
// feedback the members' frames are the same).
struct RolloutState {
  std::int64_t lead = 0;  // 0-based: the next lead to predict
  at::Tensor prev, last;
};
// The state of lead 0 from this rank's block of the known frames [C, h, w].
RolloutState initial_state(const at::Tensor& prev, const at::Tensor& last, std::int64_t members);

struct RolloutOptions {
  std::int64_t leads = 1;
  std::int64_t members = 1;
  Feedback feedback = Feedback::Mean;
  // The frame fed back as the outputs store it (to field units and back):
  // a rollout resumed from the files continues from exactly the values an
  // uninterrupted one fed back. Empty: fed back as computed.
  std::function<at::Tensor(const at::Tensor&)> as_stored;
};

// Called with each lead (0-based) and this rank's block of its members [K, C, h, w], in order.
using LeadSink = std::function<void(std::int64_t lead, const at::Tensor& members)>;

// Leads state.lead ... options.leads - 1. Lead k's patch ids start at
// k * tiling.count(), member m's noise is member m's whatever the feedback,
// so a resumed rollout equals an uninterrupted one. Collective over d.comm().
void rollout(RolloutState state, const decomp::BlockDecomposition& d, const MemberPredictor& predictor,
             const RolloutOptions& options, const LeadSink& sink);

}  // namespace flex::infer
