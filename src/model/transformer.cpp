#include "flex/model/transformer.hpp"

#include <torch/torch.h>

#include <cmath>

#include "flex/core/error.hpp"
#include "flex/model/norms.hpp"
#include "flex/model/dropout.hpp"
#include "flex/model/recompute.hpp"

namespace flex::model {

namespace F = torch::nn::functional;

AttentionImpl::AttentionImpl(std::int64_t dim, std::int64_t heads)
    : heads_(heads), scale_(1.0 / std::sqrt(static_cast<double>(dim / heads))) {
  FLEX_CHECK(dim % heads == 0, "attention width " << dim << " not divisible by " << heads << " heads");
  qkv_ = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim).bias(false)));
  proj_ = register_module("proj", torch::nn::Linear(dim, dim));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0), l = x.size(1), d = x.size(2);
  // [B, L, (3 H Dh)] -> [3, B*H, L, Dh]
  const auto qkv = qkv_(x).view({b, l, 3, heads_, d / heads_}).permute({2, 0, 3, 1, 4}).reshape({3, b * heads_, l, -1});
  const auto q = qkv[0], k = qkv[1], v = qkv[2];
  // softmax(q k^T / sqrt(Dh)) v; scaling q is the cheapest place for the factor.
  const auto attn = torch::softmax(torch::bmm(q * scale_, k.transpose(1, 2)), -1);
  const auto out = torch::bmm(attn, v).view({b, heads_, l, -1}).transpose(1, 2).reshape({b, l, d});
  return proj_(out);
}

MlpImpl::MlpImpl(std::int64_t dim, std::int64_t hidden, double dropout) : dropout_(dropout) {
  fc1_ = register_module("fc1", torch::nn::Linear(dim, hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden, dim));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  auto h = model::dropout(torch::gelu(fc1_(x), "tanh"), dropout_, is_training());
  return model::dropout(fc2_(h), dropout_, is_training());
}

TransformerBlockImpl::TransformerBlockImpl(std::int64_t dim, std::int64_t heads, double mlp_ratio, double dropout,
                                           bool long_skip) {
  const auto ln = torch::nn::LayerNormOptions({dim}).eps(1e-6);
  norm1_ = register_module("norm1", torch::nn::LayerNorm(ln));
  attn_ = register_module("attn", Attention(dim, heads));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(ln));
  mlp_ = register_module("mlp", Mlp(dim, static_cast<std::int64_t>(dim * mlp_ratio), dropout));
  if (long_skip) skip_linear_ = register_module("skip_linear", torch::nn::Linear(2 * dim, dim));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  FLEX_CHECK(skip.defined() == static_cast<bool>(skip_linear_), "transformer block long-skip mismatch");
  if (!recompute_active(recompute_, is_training())) return compute(x, skip);
  std::vector<at::Tensor> inputs{x};  // recomputed_in_backward takes defined tensors only
  if (skip.defined()) inputs.push_back(skip);
  return recomputed_in_backward(
      [this](const std::vector<at::Tensor>& in) { return compute(in[0], in.size() > 1 ? in[1] : at::Tensor()); },
      inputs);
}

torch::Tensor TransformerBlockImpl::compute(const torch::Tensor& x_in, const torch::Tensor& skip) {
  auto x = skip_linear_ ? skip_linear_(torch::cat({x_in, skip}, -1)) : x_in;
  x = x + attn_(layer_norm(x, norm1_));
  return x + mlp_(layer_norm(x, norm2_));
}

FourierFeaturesImpl::FourierFeaturesImpl(std::int64_t dim) {
  freqs_ = register_buffer("freqs", 2 * M_PI * torch::randn({dim}));
  phases_ = register_buffer("phases", 2 * M_PI * torch::rand({dim}));
}

torch::Tensor FourierFeaturesImpl::forward(const torch::Tensor& t) {
  // sqrt(2) cos(f t + phi), the reference MPFourier.
  return torch::addr(phases_.unsqueeze(0), t.to(freqs_.dtype()), freqs_).cos_().mul_(std::sqrt(2.0));
}

EmbedMlpImpl::EmbedMlpImpl(std::int64_t in, std::int64_t hidden, std::int64_t out) {
  fc1_ = register_module("0", torch::nn::Linear(in, hidden));
  fc2_ = register_module("2", torch::nn::Linear(hidden, out));
}

torch::Tensor EmbedMlpImpl::forward(const torch::Tensor& x) { return fc2_(F::silu(fc1_(x))); }

}  // namespace flex::model
