#include "flex/infer/rollout.hpp"

#include <torch/torch.h>

#include <vector>

#include "flex/core/error.hpp"
#include "flex/core/profiler.hpp"

namespace flex::infer {

namespace {

// One lead from this rank's block of the two latest frames [C, h, w]: the FC
// residual is added to `last`.
at::Tensor step(const at::Tensor& prev, const at::Tensor& last, const decomp::BlockDecomposition& d,
                const BlockPredictor& predict, std::int64_t expected, std::int64_t lead) {
  const auto frames = torch::cat({prev, last}).contiguous();  // oldest first, as data::Dataset stacks them
  const auto g = d.reach(d.rank());
  const auto C2 = frames.size(0);
  const auto filled = decomp::fill_regions(d, frames.data_ptr<float>(), C2, [&](int r) { return d.reach(r); });
  const auto reach = torch::from_blob(const_cast<float*>(filled.data()), {C2, g.rows.size(), g.cols.size()},
                                      torch::kFloat32);
  const auto base = reach.narrow(0, C2 / 2, C2 / 2);
  auto members = predict(reach, base, lead * d.tiling().count()).members;
  FLEX_CHECK(members.size(0) == expected, "rollout: predictor gave " << members.size(0) << " members, not " << expected);
  return members;
}

}  // namespace

RolloutState initial_state(const at::Tensor& prev, const at::Tensor& last, std::int64_t members) {
  return {0, prev.unsqueeze(0).expand({members, -1, -1, -1}).contiguous(),
          last.unsqueeze(0).expand({members, -1, -1, -1}).contiguous()};
}

void rollout(RolloutState state, const decomp::BlockDecomposition& d, const MemberPredictor& predictor,
             const RolloutOptions& o, const LeadSink& sink) {
  FLEX_PROFILE("infer::rollout");
  FLEX_CHECK(o.leads >= 1 && o.members >= 1, "rollout: " << o.leads << " leads, " << o.members << " members");
  FLEX_CHECK(state.prev.dim() == 4 && state.prev.size(0) == o.members && state.last.sizes() == state.prev.sizes(),
             "rollout: the state must hold [" << o.members << ", C, h, w] frames of the block");
  const auto stored = [&](const at::Tensor& x) { return o.as_stored ? o.as_stored(x) : x; };
  // All members sample from the same frames; their mean is the next frame.
  const auto together = o.feedback == Feedback::Mean ? predictor(0, o.members) : BlockPredictor();
  for (std::int64_t k = state.lead; k < o.leads; ++k) {
    at::Tensor members, next;
    if (o.feedback == Feedback::Mean) {
      members = step(state.prev[0], state.last[0], d, together, o.members, k);
      next = stored(members.mean(0)).unsqueeze(0).expand({o.members, -1, -1, -1}).contiguous();
    } else {
      std::vector<at::Tensor> own;
      for (std::int64_t m = 0; m < o.members; ++m)
        own.push_back(step(state.prev[m], state.last[m], d, predictor(m, 1), 1, k)[0]);
      members = torch::stack(own);
      next = stored(members);
    }
    sink(k, members);
    state = {k + 1, state.last, next};
  }
}

}  // namespace flex::infer
