// flex::model::dropout: the drop rate, the 1/(1-p) scale, the gradient, and a
// mask that depends only on (seed, index): not on the thread count, and fixed
// by torch::manual_seed like LibTorch's own dropout.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "flex/model/dropout.hpp"

namespace model = flex::model;
using flex::model::dropout_mask;

TEST(Dropout, KeepsTheRightFractionWithTheRightScale) {
  for (const double p : {0.1, 0.5, 0.9}) {
    const auto mask = dropout_mask({1 << 20}, p, 1234);
    const double n = mask.numel(), keep = 1 - p;
    const auto kept = mask.ne(0);
    const double rate = kept.to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(rate, keep, 5 * std::sqrt(keep * p / n)) << "p=" << p;
    EXPECT_TRUE(mask.masked_select(kept).eq(static_cast<float>(1 / keep)).all().item<bool>());
  }
}

TEST(Dropout, NeighbouringElementsAreUncorrelated) {
  const auto m = dropout_mask({1 << 20}, 0.5, 99).ne(0).to(torch::kDouble);
  const auto a = m.narrow(0, 0, m.numel() - 1) - 0.5, b = m.narrow(0, 1, m.numel() - 1) - 0.5;
  EXPECT_LT(std::abs((a * b).mean().item<double>() / 0.25), 5 / std::sqrt(double(m.numel())));
}

TEST(Dropout, MaskIsAFunctionOfSeedAndIndexOnly) {
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = dropout_mask({3, 64, 97, 101}, 0.1, 42);
  at::set_num_threads(2);
  const auto two = dropout_mask({3, 64, 97, 101}, 0.1, 42);
  at::set_num_threads(threads);
  EXPECT_TRUE(one.equal(two));
  EXPECT_TRUE(one.flatten().equal(dropout_mask({3 * 64 * 97 * 101}, 0.1, 42)));  // shape-blind
  EXPECT_FALSE(one.equal(dropout_mask({3, 64, 97, 101}, 0.1, 43)));
}

TEST(Dropout, FollowsTorchManualSeedAndDiffersBetweenCalls) {
  const auto x = torch::ones({4, 8, 32, 32});
  torch::manual_seed(7);
  const auto first = model::dropout(x, 0.2, true), second = model::dropout(x, 0.2, true);
  torch::manual_seed(7);
  EXPECT_TRUE(model::dropout(x, 0.2, true).equal(first));
  EXPECT_FALSE(first.equal(second));
}

TEST(Dropout, IsTheIdentityInEvalModeAndAtZeroRate) {
  const auto x = torch::randn({2, 3, 16, 16});
  EXPECT_TRUE(model::dropout(x, 0.3, false).equal(x));
  EXPECT_TRUE(model::dropout(x, 0.0, true).equal(x));
}

TEST(Dropout, GradientIsTheScaledMask) {
  const auto x = torch::randn({2, 16, 24, 24}, torch::requires_grad());
  torch::manual_seed(3);
  const auto y = model::dropout(x, 0.25, true);
  y.sum().backward();
  // where kept: y = x / 0.75 and dy/dx = 1 / 0.75; where dropped: both 0
  const auto kept = y.ne(0);
  EXPECT_TRUE(torch::allclose(x.grad(), kept.to(torch::kFloat) / 0.75));
  EXPECT_TRUE(torch::allclose(y, x.detach() * x.grad()));
}
