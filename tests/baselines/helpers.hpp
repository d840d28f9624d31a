// Shared checks of the baseline tests: random inputs, gradient coverage, and
// overfitting one fixed batch.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace flex::model::testing {

struct Batch {
  torch::Tensor z, t, cond, field;
};

// A seeded batch: z [B, out, H, W], t [B] in (0, 1), cond [B, 1], field [B, c, H, W].
inline Batch random_batch(std::int64_t b, std::int64_t out, std::int64_t field_channels, std::int64_t h,
                          std::int64_t w, std::uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({b, out, h, w}), torch::rand({b}), torch::rand({b, 1}),
          torch::randn({b, field_channels, h, w})};
}

// Zero-initialised layers block the gradient of everything before them, so
// checks of gradient coverage first move every parameter off its start.
inline void perturb_parameters(torch::nn::Module& m, double scale, std::uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) p.add_(torch::randn_like(p) * scale);
}

// Names of the parameters whose gradient is missing or exactly zero.
inline std::vector<std::string> parameters_without_gradient(const torch::nn::Module& m) {
  std::vector<std::string> bad;
  for (const auto& p : m.named_parameters()) {
    const auto& g = p.value().grad();
    if (!g.defined() || g.abs().max().item<double>() == 0.0) bad.push_back(p.key());
  }
  return bad;
}

using Net = std::function<torch::Tensor(const Batch&)>;

// Adam on an L2 regression of a fixed random target from one fixed batch;
// returns (first loss, best loss within `steps`).
inline std::pair<double, double> overfit(torch::nn::Module& m, const Net& net, const Batch& batch,
                                         const torch::Tensor& target, int steps, double lr) {
  torch::optim::Adam opt(m.parameters(), torch::optim::AdamOptions(lr));
  m.train();
  double first = 0, best = 1e300;
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    auto loss = (net(batch) - target).square().mean();
    loss.backward();
    opt.step();
    const double l = loss.item<double>();
    if (i == 0) first = l;
    best = std::min(best, l);
    if (best < first / 20) break;
  }
  return {first, best};
}

}  // namespace flex::model::testing
