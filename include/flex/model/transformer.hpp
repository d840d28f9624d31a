// The latent transformer's pieces (SPEC §5, U-ViT style): pre-norm blocks
//   x = skip_linear([x, skip])   (decoder half only)
//   x = x + Attn(LN(x)); x = x + MLP(LN(x))
// with LayerNorm eps 1e-6, qkv without bias, no dropout on attention, and an
// MLP fc1 -> tanh-GELU -> Dropout -> fc2 -> Dropout. Plus the two embedding
// MLPs and the fixed random Fourier features of the diffusion time.
// Names follow the reference (`norm1`, `attn.qkv`, `mlp.fc1`, `MPFourier.freqs`).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace flex::model {

// Multi-head self-attention over tokens [B, L, D].
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(std::int64_t dim, std::int64_t heads);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  std::int64_t heads_;
  double scale_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(std::int64_t dim, std::int64_t hidden, double dropout);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  double dropout_;
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Mlp);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  // long_skip: the block takes a U-ViT long skip through Linear(2D, D).
  TransformerBlockImpl(std::int64_t dim, std::int64_t heads, double mlp_ratio, double dropout, bool long_skip);
  // skip must be given iff the block was built with long_skip.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip = {});
  // Recompute this block's activations in backward while training (recompute.hpp).
  void set_recompute(bool on) { recompute_ = on; }

 private:
  torch::Tensor compute(const torch::Tensor& x, const torch::Tensor& skip);

  bool recompute_ = false;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  Attention attn_{nullptr};
  Mlp mlp_{nullptr};
  torch::nn::Linear skip_linear_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// Fixed random Fourier features of t in [0, 1] (the reference's MPFourier):
// sqrt(2) cos(freqs t + phases), freqs = 2 pi N(0, 1), phases = 2 pi U(0, 1),
// kept as buffers so checkpoints carry them.
class FourierFeaturesImpl : public torch::nn::Module {
 public:
  explicit FourierFeaturesImpl(std::int64_t dim);
  torch::Tensor forward(const torch::Tensor& t);  // [B] -> [B, dim]

 private:
  torch::Tensor freqs_, phases_;
};
TORCH_MODULE(FourierFeatures);

// Linear(in, 2D) -> SiLU -> Linear(2D, D), registered as `0` and `2`.
class EmbedMlpImpl : public torch::nn::Module {
 public:
  EmbedMlpImpl(std::int64_t in, std::int64_t hidden, std::int64_t out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(EmbedMlp);

}  // namespace flex::model
