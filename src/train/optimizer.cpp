#include "flex/train/optimizer.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"

namespace flex::train {

void Optimizer::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = at::Tensor();
}

void Lion::step(double lr) {
  torch::NoGradGuard no_grad;
  m_.resize(params_.size());
  const double b1 = options_.beta1, b2 = options_.beta2;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& p = params_[i];
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (!m_[i].defined()) m_[i] = torch::zeros_like(p);
    at::Tensor c = m_[i] * b1 + g * (1.0 - b1);
    if (options_.weight_decay != 0.0) p.mul_(1.0 - lr * options_.weight_decay);
    p.add_(torch::sign(c), -lr);
    m_[i].mul_(b2).add_(g, 1.0 - b2);
  }
}

std::map<std::string, at::Tensor> Lion::state() const {
  std::map<std::string, at::Tensor> s;
  for (std::size_t i = 0; i < m_.size(); ++i)
    if (m_[i].defined()) s["lion.m." + std::to_string(i)] = m_[i];
  return s;
}

void Lion::load_state(const std::map<std::string, at::Tensor>& s) {
  torch::NoGradGuard no_grad;
  m_.assign(params_.size(), at::Tensor());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto it = s.find("lion.m." + std::to_string(i));
    if (it == s.end()) continue;
    FLEX_CHECK(it->second.sizes() == params_[i].sizes(), "optimiser state lion.m." << i << " has the wrong shape");
    m_[i] = it->second.to(params_[i].options()).clone();
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  m_.resize(params_.size());
  v_.resize(params_.size());
  steps_.resize(params_.size(), 0);
  const double b1 = options_.beta1, b2 = options_.beta2;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& p = params_[i];
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (!m_[i].defined()) {
      m_[i] = torch::zeros_like(p);
      v_[i] = torch::zeros_like(p);
    }
    const auto t = static_cast<double>(++steps_[i]);
    if (options_.weight_decay != 0.0) p.mul_(1.0 - lr * options_.weight_decay);
    m_[i].mul_(b1).add_(g, 1.0 - b1);
    v_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    const double bc1 = 1.0 - std::pow(b1, t), bc2 = 1.0 - std::pow(b2, t);
    at::Tensor denom = (v_[i] / bc2).sqrt_().add_(options_.eps);
    p.addcdiv_(m_[i], denom, -lr / bc1);
  }
}

std::map<std::string, at::Tensor> AdamW::state() const {
  std::map<std::string, at::Tensor> s;
  for (std::size_t i = 0; i < m_.size(); ++i) {
    if (!m_[i].defined()) continue;
    s["adamw.m." + std::to_string(i)] = m_[i];
    s["adamw.v." + std::to_string(i)] = v_[i];
    s["adamw.step." + std::to_string(i)] = torch::tensor(steps_[i], torch::kLong);
  }
  return s;
}

void AdamW::load_state(const std::map<std::string, at::Tensor>& s) {
  torch::NoGradGuard no_grad;
  m_.assign(params_.size(), at::Tensor());
  v_.assign(params_.size(), at::Tensor());
  steps_.assign(params_.size(), 0);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const std::string k = std::to_string(i);
    auto m = s.find("adamw.m." + k), v = s.find("adamw.v." + k), st = s.find("adamw.step." + k);
    if (m == s.end()) continue;
    FLEX_CHECK(v != s.end() && st != s.end(), "optimiser state for parameter " << i << " is incomplete");
    m_[i] = m->second.to(params_[i].options()).clone();
    v_[i] = v->second.to(params_[i].options()).clone();
    steps_[i] = st->second.item<std::int64_t>();
  }
}

std::unique_ptr<Optimizer> make_optimizer(std::vector<at::Tensor> params, const OptimizerOptions& options) {
  if (options.name == "lion") return std::make_unique<Lion>(std::move(params), options);
  if (options.name == "adamw") return std::make_unique<AdamW>(std::move(params), options);
  FLEX_REQUIRE(false, "optim.name = " << options.name << ": use lion or adamw");
}

}  // namespace flex::train
