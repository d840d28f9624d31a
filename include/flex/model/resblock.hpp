// The convolutional building block of FLEX and of the diffusion U-Net
// baselines (SPEC §5, after Nichol & Dhariwal's ResBlock):
//   h = Conv3x3(SiLU(GN(x)))                     [in_layers 0, 2]
//   (scale, shift) = Linear(SiLU(emb))           [emb_layers 1]
//   h = Conv3x3(Dropout(SiLU(GN(h)(1+scale)+shift)))   [out_layers 0, 3; conv zero-initialised]
//   out = skip(x) + h, skip = identity or conv when channels change.
// Up/down variants resample both paths inside the block (nearest x2 / 2x2
// average pool), between the first activation and the first conv.
// Parameter names follow the reference (`in_layers.0.weight`, ...).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace flex::model {

enum class Resample { None, Up, Down };

struct ResBlockOptions {
  std::int64_t channels = 0;      // input channels
  std::int64_t emb_channels = 0;  // width of the conditioning embedding
  std::int64_t out_channels = 0;  // 0: same as channels
  double dropout = 0.0;
  Resample resample = Resample::None;
  bool conv_skip = true;    // skip path 3x3 conv when channels change (reference); false: 1x1
  bool scale_shift = true;  // FiLM-style scale-shift norm; false: embedding added before the norm
  std::int64_t groups = 32;  // GroupNorm groups
};

// A block of a network whose embedding width, dropout and norm groups are fixed.
inline ResBlockOptions resblock_options(std::int64_t in, std::int64_t out, std::int64_t emb, double dropout,
                                        std::int64_t groups, Resample r = Resample::None) {
  ResBlockOptions o;
  o.channels = in, o.emb_channels = emb, o.out_channels = out, o.dropout = dropout, o.resample = r, o.groups = groups;
  return o;
}

class ResBlockImpl : public torch::nn::Module {
 public:
  explicit ResBlockImpl(const ResBlockOptions& options);
  // x [B, channels, H, W], emb [B, emb_channels] -> [B, out_channels, H', W'].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  const ResBlockOptions& options() const { return options_; }
  // Recompute this block's activations in backward while training (recompute.hpp).
  void set_recompute(bool on) { recompute_ = on; }
  // The zero-initialised output conv (out_layers.3), e.g. to perturb it in tests.
  torch::nn::Conv2d& out_conv() { return out_conv_; }

 private:
  torch::Tensor compute(const torch::Tensor& x, const torch::Tensor& emb);

  ResBlockOptions options_;
  bool recompute_ = false;
  torch::nn::GroupNorm in_norm_{nullptr}, out_norm_{nullptr};
  torch::nn::Conv2d in_conv_{nullptr}, out_conv_{nullptr}, skip_conv_{nullptr};
  torch::nn::Linear emb_linear_{nullptr};
};
TORCH_MODULE(ResBlock);

// GroupNorm whose affine transform also applies a per-sample FiLM:
// GN(x) * w * (1 + scale) + b * (1 + scale) + shift, in one group_norm call
// (the batch folded into channels), so no extra passes over the feature map.
// x [B, C, H, W]; weight, bias [C]; scale, shift [B, C].
torch::Tensor group_norm_film(const torch::Tensor& x, std::int64_t groups, const torch::Tensor& weight,
                              const torch::Tensor& bias, const torch::Tensor& scale, const torch::Tensor& shift,
                              double eps = 1e-5);

}  // namespace flex::model
