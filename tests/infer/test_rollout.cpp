// Rollouts through stub predictors (the FC base is the last frame), on the
// block decomposition at any rank count: an
// identity-residual model rolled out with the ensemble mean fed back is
// persistence, and the two feedback modes differ exactly as they should.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <cmath>

#include "blocks.hpp"
#include "flex/infer/rollout.hpp"

using namespace flex;
using infer::testing::block_of;
using infer::testing::whole_of;

namespace {

double max_abs(const at::Tensor& a) { return a.abs().max().item<double>(); }

// Patch predictors of members [first, first + count), stitched once by run().
using PatchMembers = std::function<infer::PatchPredictor(std::int64_t first, std::int64_t count)>;

// Member k of [first, first + count) predicts (first + k + 1) * last frame: a
// residual model of k-dependent gain, exact through the stitching.
PatchMembers scaled_last_frame() {
  return [](std::int64_t first, std::int64_t count) -> infer::PatchPredictor {
    return [=](const at::Tensor& input, const at::Tensor& base, const std::vector<std::int64_t>&) {
      const auto C = base.size(1);
      EXPECT_EQ(input.size(1), 2 * C);  // (x_{t-Δ}, x_t), oldest first, each frame's channels together
      EXPECT_TRUE(torch::equal(input.narrow(1, C, C), base));
      std::vector<at::Tensor> out;
      for (std::int64_t k = 0; k < count; ++k) out.push_back(base * double(first + k + 1));
      return torch::stack(out);
    };
  };
}

// Every member returns the last frame (zero residual), whatever its noise.
PatchMembers identity_residual() {
  return [](std::int64_t, std::int64_t count) -> infer::PatchPredictor {
    return [=](const at::Tensor&, const at::Tensor& base, const std::vector<std::int64_t>&) {
      return torch::stack(std::vector<at::Tensor>(static_cast<size_t>(count), base));
    };
  };
}

// Every lead's whole-field members, from the blocks the sink receives on
// the ranks' default grid.
std::vector<at::Tensor> run(const at::Tensor& prev, const at::Tensor& last, const decomp::Tiling& tiling,
                            const PatchMembers& patches, const infer::RolloutOptions& o, std::int64_t from = 0) {
  const decomp::BlockDecomposition d(tiling, MPI_COMM_WORLD);
  const infer::MemberPredictor predictor = [&](std::int64_t first, std::int64_t count) {
    return infer::stitched_once(d, patches(first, count), /*batch=*/3);
  };
  std::vector<at::Tensor> leads;
  infer::RolloutState state = infer::initial_state(block_of(prev, d), block_of(last, d), o.members);
  if (from > 0) {
    // The state an uninterrupted run reached at lead `from`.
    auto head = o;
    head.leads = from;
    std::vector<at::Tensor> done = run(prev, last, tiling, patches, head);
    const auto fed = [&](std::int64_t k) {
      if (k < 0) return state.last;
      const auto& m = done[static_cast<size_t>(k)];
      return block_of(o.feedback == infer::Feedback::Mean ? m.mean(0, true).expand_as(m).contiguous() : m, d);
    };
    state = {from, fed(from - 2), fed(from - 1)};
  }
  infer::rollout(state, d, predictor, o, [&](std::int64_t k, const at::Tensor& members) {
    EXPECT_EQ(k, from + static_cast<std::int64_t>(leads.size()));
    leads.push_back(whole_of(members, d));
  });
  return leads;
}

}  // namespace

TEST(Rollout, IdentityResidualWithMeanFeedbackIsPersistence) {
  torch::manual_seed(7);
  const auto prev = torch::randn({1, 48, 40}), last = torch::randn({1, 48, 40});
  decomp::Tiling tiling({48, 40, 16, 4, decomp::Boundary::Periodic});
  const auto leads = run(prev, last, tiling, identity_residual(), {5, 3, infer::Feedback::Mean});
  ASSERT_EQ(leads.size(), 5u);
  for (const auto& members : leads) {
    ASSERT_EQ(members.sizes(), (std::vector<std::int64_t>{3, 1, 48, 40}));
    EXPECT_LT(max_abs(members.mean(0) - last), 1e-5);
    EXPECT_LT(max_abs(members - last.unsqueeze(0)), 1e-5);
  }
}

// K = 2 members of gains 1 and 2. Mean feedback: every lead multiplies the
// fed-back mean by 1.5, so lead n has mean 1.5^n * x_t. Member feedback:
// member k follows (k + 1)^n * x_t, mean (1 + 2^n) / 2 * x_t.
TEST(Rollout, MeanFeedbackFeedsTheEnsembleMeanToEveryMember) {
  torch::manual_seed(8);
  // Two channels: each follows the same gains.
  const auto prev = torch::randn({2, 32, 32}), last = torch::randn({2, 32, 32});
  decomp::Tiling tiling({32, 32, 16, 2, decomp::Boundary::Reflect});
  const auto mean_fed = run(prev, last, tiling, scaled_last_frame(), {3, 2, infer::Feedback::Mean});
  const auto own = run(prev, last, tiling, scaled_last_frame(), {3, 2, infer::Feedback::Member});
  for (int n = 1; n <= 3; ++n) {
    const auto& m = mean_fed[static_cast<size_t>(n - 1)];
    const double fed = std::pow(1.5, n - 1);  // the mean fed into lead n
    EXPECT_LT(max_abs(m[0] - last * fed), 1e-4) << n;
    EXPECT_LT(max_abs(m[1] - last * 2 * fed), 1e-4) << n;
    EXPECT_LT(max_abs(m.mean(0) - last * std::pow(1.5, n)), 1e-4) << n;
    const auto& o = own[static_cast<size_t>(n - 1)];
    EXPECT_LT(max_abs(o[0] - last), 1e-4) << n;
    EXPECT_LT(max_abs(o[1] - last * std::pow(2.0, n)), 1e-4) << n;
  }
}

// Started at lead k from the frames an uninterrupted rollout fed back there,
// a rollout makes the same leads, in either feedback mode.
TEST(Rollout, ResumingFromTheFedBackFramesGivesTheSameLeads) {
  torch::manual_seed(9);
  const auto prev = torch::randn({1, 32, 32}), last = torch::randn({1, 32, 32});
  decomp::Tiling tiling({32, 32, 16, 2, decomp::Boundary::Periodic});
  for (const auto feedback : {infer::Feedback::Mean, infer::Feedback::Member}) {
    const infer::RolloutOptions o{4, 2, feedback};
    const auto whole = run(prev, last, tiling, scaled_last_frame(), o);
    for (std::int64_t from : {1, 3}) {
      const auto rest = run(prev, last, tiling, scaled_last_frame(), o, from);
      ASSERT_EQ(rest.size(), static_cast<size_t>(4 - from));
      for (size_t k = 0; k < rest.size(); ++k)
        EXPECT_TRUE(torch::equal(rest[k], whole[static_cast<size_t>(from) + k])) << from << " " << k;
    }
  }
}
