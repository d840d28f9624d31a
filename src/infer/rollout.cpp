#include "flex/infer/rollout.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/core/profiler.hpp"

namespace flex::infer {

namespace {

// One lead from the two latest frames: the FC residual is added to `last`.
at::Tensor step(const at::Tensor& prev, const at::Tensor& last, const decomp::Tiling& tiling,
                const PatchPredictor& predict, std::int64_t expected, std::int64_t batch, std::int64_t lead,
                MPI_Comm comm) {
  const auto frames = torch::cat({prev, last});  // oldest first, as data::Dataset stacks them
  auto members = predict_field(frames, last, tiling, predict, batch, lead * tiling.count(), comm).members;
  FLEX_CHECK(members.size(0) == expected, "rollout: predictor gave " << members.size(0) << " members, not " << expected);
  return members;
}

}  // namespace

std::vector<at::Tensor> rollout(const at::Tensor& prev0, const at::Tensor& last0, const decomp::Tiling& tiling,
                                const MemberPredictor& predictor, const RolloutOptions& o, MPI_Comm comm) {
  FLEX_PROFILE("infer::rollout");
  FLEX_CHECK(o.leads >= 1 && o.members >= 1, "rollout: " << o.leads << " leads, " << o.members << " members");
  std::vector<at::Tensor> out(static_cast<size_t>(o.leads));
  if (o.feedback == Feedback::Mean) {
    // All members sample from the same frames; their mean is the next frame.
    const auto predict = predictor(0, o.members);
    auto prev = prev0, last = last0;
    for (std::int64_t k = 0; k < o.leads; ++k) {
      auto& members = out[static_cast<size_t>(k)];
      members = step(prev, last, tiling, predict, o.members, o.batch, k, comm);
      prev = last, last = members.mean(0);
    }
    return out;
  }
  std::vector<std::vector<at::Tensor>> per_lead(static_cast<size_t>(o.leads));
  for (std::int64_t m = 0; m < o.members; ++m) {
    const auto predict = predictor(m, 1);
    auto prev = prev0, last = last0;
    for (std::int64_t k = 0; k < o.leads; ++k) {
      auto next = step(prev, last, tiling, predict, 1, o.batch, k, comm)[0];
      per_lead[static_cast<size_t>(k)].push_back(next);
      prev = last, last = next;
    }
  }
  for (std::int64_t k = 0; k < o.leads; ++k) out[static_cast<size_t>(k)] = torch::stack(per_lead[static_cast<size_t>(k)]);
  return out;
}

}  // namespace flex::infer
