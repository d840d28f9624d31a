// Diffusion U-Net baseline with attention at coarse levels (Nichol & Dhariwal
// 2021, "Improved DDPM"; the paper's "DM U-Net", SPEC §5 baselines):
//   stem Conv3x3 on [z_t, conditioning field]   (conditioning by concatenation)
//   per level l: `blocks` ResBlocks to channels[l] (+ self-attention when l is
//     an attention level), then a down-sampling ResBlock (not after the last)
//   middle: ResBlock, self-attention, ResBlock
//   per level (reverse): blocks+1 ResBlocks on [h, skip] (+ attention), then an
//     up-sampling ResBlock (not after level 0)
//   head: GroupNorm -> SiLU -> Conv3x3 initialised to zero.
// The embedding is time (random Fourier features -> MLP) plus conditioning
// scalars (MLP), width 4 * channels[0] as in Nichol & Dhariwal. ResBlocks,
// attention and embeddings are FLEX's own (resblock.hpp, transformer.hpp).
// Every ResBlock's second conv, every attention output projection and the
// head conv start at zero, so the untrained network outputs exactly 0.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flex/model/resblock.hpp"
#include "flex/model/transformer.hpp"

namespace flex::model {

// What the network's diffusion variable is: the residual against the
// conditioning base (FLEX's choice), or the raw field itself (base = 0).
enum class Space { Residual, Raw };
const char* space_name(Space s);  // "residual" | "raw"

struct UNetConfig {
  std::int64_t out_channels = 1;    // channels of z_t and of the output
  std::int64_t cond_channels = 1;   // channels of the concatenated conditioning field
  std::int64_t n_cond_scalars = 1;  // conditioning scalars (Reynolds number, ...)
  std::vector<std::int64_t> channels{64, 128, 256, 256, 256};  // per level; level l has side img / 2^l
  std::int64_t blocks = 2;                                      // ResBlocks per level (decoder: blocks + 1)
  std::vector<std::int64_t> attention_levels{3, 4};  // levels with self-attention (the middle always has it)
  std::int64_t heads = 4;
  double dropout = 0.1;
  std::int64_t norm_groups = 32;
  Space space = Space::Residual;

  std::int64_t levels() const { return static_cast<std::int64_t>(channels.size()); }
  std::int64_t embed_dim() const { return 4 * channels.front(); }
  // Input sides must be divisible by this (2^(levels-1)).
  std::int64_t side_multiple() const { return std::int64_t{1} << (levels() - 1); }
  bool has_attention(std::int64_t level) const;
  // Throws InputError naming the unet.* key; `where` labels the message (deck source).
  void validate(const std::string& where = "unet config") const;
};

// GroupNorm -> multi-head self-attention over the H*W positions -> output
// projection (zero-initialised) added back: Nichol & Dhariwal's AttentionBlock,
// with FLEX's Attention (qkv without bias) doing the token mixing.
class SpatialAttentionImpl : public torch::nn::Module {
 public:
  SpatialAttentionImpl(std::int64_t channels, std::int64_t heads, std::int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W] -> same

 private:
  torch::nn::GroupNorm norm_{nullptr};
  Attention attn_{nullptr};
};
TORCH_MODULE(SpatialAttention);

// One U-Net step: a ResBlock, optional self-attention, optional second
// ResBlock (a resampling one, or the middle block's second).
class UNetBlockImpl : public torch::nn::Module {
 public:
  UNetBlockImpl(ResBlock first, SpatialAttention attention, ResBlock second);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  std::vector<ResBlock> resblocks() const;

 private:
  ResBlock first_{nullptr}, second_{nullptr};
  SpatialAttention attention_{nullptr};
};
TORCH_MODULE(UNetBlock);

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetConfig& config);

  // z_t [B, out, H, W]; t [B] in [0, 1]; cond [B, n_cond]; field [B, cond_channels, H, W]
  // (SR: upsampled low-res, FC: past frames). Returns [B, out, H, W].
  torch::Tensor forward(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                        const torch::Tensor& field);

  const UNetConfig& config() const { return config_; }
  std::vector<ResBlock> resblocks() const;
  torch::nn::Conv2d& head_conv() { return head_conv_; }

 private:
  UNetConfig config_;
  FourierFeatures fourier_{nullptr};
  EmbedMlp time_embed_{nullptr}, cond_embed_{nullptr};
  torch::nn::Conv2d stem_{nullptr};
  std::vector<UNetBlock> input_blocks_, output_blocks_;
  UNetBlock middle_block_{nullptr};
  torch::nn::GroupNorm head_norm_{nullptr};
  torch::nn::Conv2d head_conv_{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace flex::model
