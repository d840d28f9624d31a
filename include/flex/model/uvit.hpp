// U-ViT baseline (Bao et al. 2023, "All are worth words"; the paper's
// "DM U-ViT", patch size 8), conditioning by concatenation:
//   tokens = [time token, condition token, PatchEmbed([z_t, field])] + pos_embed
//   PatchEmbed: Conv(k = s = patch) to width D; time token: Fourier features
//     -> MLP; condition token: MLP of the conditioning scalars
//   depth/2 blocks (each output kept), a middle block, depth/2 blocks that
//     take their long skip through Linear(2D, D) (FLEX's TransformerBlock)
//   LayerNorm -> Linear(D, patch^2 * out) -> un-patchify -> Conv3x3.
// Initialisation as U-ViT: Linear trunc-normal(0.02) with zero bias,
// LayerNorm (1, 0), pos_embed trunc-normal(0.02), convolutions default; no
// zero-initialised output, unlike FLEX and the U-Net.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/model/transformer.hpp"

namespace flex::model {

struct UViTConfig {
  std::int64_t img = 256;           // patch side in pixels (fixes the positional embedding)
  std::int64_t out_channels = 1;    // channels of z_t and of the output
  std::int64_t cond_channels = 1;   // channels of the concatenated conditioning field
  std::int64_t n_cond_scalars = 1;
  std::int64_t width = 512;  // token width D
  std::int64_t depth = 13;   // odd: depth/2 + middle + depth/2
  std::int64_t heads = 8;
  std::int64_t patch = 8;
  double mlp_ratio = 4.0;  // U-ViT's
  double dropout = 0.0;    // U-ViT trains without dropout

  std::int64_t grid() const { return img / patch; }  // tokens per side
  std::int64_t tokens() const { return grid() * grid(); }
  static constexpr std::int64_t kExtraTokens = 2;  // time and condition
  void validate(const std::string& where = "uvit config") const;  // InputError naming the key
};

class UViTImpl : public torch::nn::Module {
 public:
  explicit UViTImpl(const UViTConfig& config);

  // Same contract as UNetImpl::forward; H = W = config.img.
  torch::Tensor forward(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                        const torch::Tensor& field);

  const UViTConfig& config() const { return config_; }

 private:
  UViTConfig config_;
  torch::nn::Conv2d patch_embed_{nullptr}, final_conv_{nullptr};
  FourierFeatures fourier_{nullptr};
  EmbedMlp time_embed_{nullptr}, cond_embed_{nullptr};
  torch::Tensor pos_embed_;
  std::vector<TransformerBlock> in_blocks_, out_blocks_;
  TransformerBlock mid_block_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear decoder_pred_{nullptr};
};
TORCH_MODULE(UViT);

}  // namespace flex::model
