// Inference scores come from the analysis kernels: RFNE and PCC of a whole
// plane equal their definitions (SPEC §6), on every rank alike, whatever the
// rank count (each rank holds the plane whole).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "flex/infer/score.hpp"

using namespace flex;

TEST(InferScore, MatchesTheDefinitions) {
  torch::manual_seed(11);
  const auto truth = torch::randn({48, 40});
  const auto prediction = truth + 0.3 * torch::randn({48, 40});
  const auto s = infer::score(prediction, truth);
  const auto t = truth.to(torch::kFloat64), p = prediction.to(torch::kFloat64);
  EXPECT_NEAR(s.rfne, ((p - t).norm() / t.norm()).item<double>(), 1e-12);
  EXPECT_NEAR(s.pcc, torch::corrcoef(torch::stack({p.flatten(), t.flatten()}))[0][1].item<double>(), 1e-12);
}

TEST(InferScore, PerfectAndNonContiguousPlanes) {
  const auto field = torch::arange(64 * 64, torch::kFloat32).view({64, 64}).sin();
  const auto s = infer::score(field, field);
  EXPECT_EQ(s.rfne, 0.0);
  EXPECT_NEAR(s.pcc, 1.0, 1e-12);
  // A transposed view is scored as the plane it shows, not as its storage.
  const auto shown = field.t();
  const auto copy = shown.contiguous();
  EXPECT_NEAR(infer::score(shown * 2.0, shown).rfne, infer::score(copy * 2.0, copy).rfne, 1e-15);
  EXPECT_NEAR(infer::score(shown * 2.0, shown).rfne, 1.0, 1e-12);
}

// Several channels are scored together: RFNE and PCC over all their values.
TEST(InferScore, ChannelsAreScoredTogether) {
  torch::manual_seed(12);
  const auto truth = torch::randn({3, 16, 24});
  const auto prediction = truth + 0.2 * torch::randn({3, 16, 24});
  const auto s = infer::score(prediction, truth);
  const auto t = truth.to(torch::kFloat64), p = prediction.to(torch::kFloat64);
  EXPECT_NEAR(s.rfne, ((p - t).norm() / t.norm()).item<double>(), 1e-12);
  EXPECT_NEAR(s.pcc, torch::corrcoef(torch::stack({p.flatten(), t.flatten()}))[0][1].item<double>(), 1e-12);
}
