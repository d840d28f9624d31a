#include "flex/train/ema.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"

namespace flex::train {

Ema::Ema(NamedTensors state, double decay) : live_(std::move(state)), decay_(decay) {
  FLEX_CHECK(decay >= 0.0 && decay < 1.0, "EMA decay " << decay << " outside [0, 1)");
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : live_) shadow_.emplace_back(name, t.detach().clone());
}

void Ema::update() {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < live_.size(); ++i) {
    const at::Tensor& p = live_[i].second;
    at::Tensor& s = shadow_[i].second;
    if (p.is_floating_point() && p.requires_grad())
      s.lerp_(p.detach(), 1.0 - decay_);  // s + (1 - d)(p - s) = d s + (1 - d) p
    else
      s.copy_(p);
  }
}

void Ema::swap() {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < live_.size(); ++i) {
    at::Tensor tmp = live_[i].second.detach().clone();
    live_[i].second.detach().copy_(shadow_[i].second);
    shadow_[i].second.copy_(tmp);
  }
}

void Ema::load_shadow(const NamedTensors& values) {
  torch::NoGradGuard no_grad;
  FLEX_CHECK(values.size() == shadow_.size(), "EMA state has " << values.size() << " tensors, expected " << shadow_.size());
  for (std::size_t i = 0; i < shadow_.size(); ++i) {
    FLEX_CHECK(values[i].first == shadow_[i].first, "EMA state name " << values[i].first << " != " << shadow_[i].first);
    shadow_[i].second.copy_(values[i].second);
  }
}

}  // namespace flex::train
