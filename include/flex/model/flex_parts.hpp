// The sub-networks of FLEX (SPEC §5), each registered in Flex under the
// reference's name: the shared encoder (`encoder`), the task encoders
// (`superres_encoder`, `forecast_encoder`) and the decoder (`decoder`).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "flex/model/config.hpp"
#include "flex/model/resblock.hpp"
#include "flex/model/transformer.hpp"

namespace flex::model {

// The reference's TimestepEmbedSequential: a stem conv or up to two
// ResBlocks, children `0`, `1`, applied in order with the embedding.
class EmbedSequentialImpl : public torch::nn::Module {
 public:
  explicit EmbedSequentialImpl(torch::nn::Conv2d stem);
  explicit EmbedSequentialImpl(std::vector<ResBlock> blocks);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  const std::vector<ResBlock>& blocks() const { return blocks_; }

 private:
  torch::nn::Conv2d stem_{nullptr};
  std::vector<ResBlock> blocks_;
};
TORCH_MODULE(EmbedSequential);

// What a task encoder hands the rest of the network: its bottleneck map
// [B, D, h, w] and one skip per block (stem first). For the concat ablation,
// only `concat` (the conditioning field) is set.
struct TaskFeatures {
  torch::Tensor bottleneck;
  std::vector<torch::Tensor> skips;
  torch::Tensor concat;
  // The same features for k stacked copies of the batch ([k*B, ...], copy-major),
  // e.g. for k ensemble members sampled in one batch.
  TaskFeatures tile(std::int64_t k) const;
  std::int64_t bytes() const;  // what holding them costs (samplers that keep them across steps)
};

// Output of the shared encoder: transformer tokens after the middle block
// [B, 1+N, D], the conv skips (one per block) and the transformer skips.
struct EncoderOutput {
  torch::Tensor tokens;
  std::vector<torch::Tensor> conv_skips;
  std::vector<torch::Tensor> token_skips;
};

// Conv encoder. Shared role: time + conditioning embedding, weak conditioning
// from a task encoder, and the transformer's encoder half plus middle block.
// Task role: conditioning embedding only, returns bottleneck and skips.
class EncoderImpl : public torch::nn::Module {
 public:
  enum class Role { Shared, Task };
  EncoderImpl(const FlexConfig& config, std::int64_t in_channels, Role role);

  // Shared role. x [B, C, H, W] (z_t, or z_t with the concat field), t [B],
  // cond [B, n_cond]; task skips (may be empty) are added after the first
  // config.weak_blocks() blocks.
  EncoderOutput forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& cond,
                        const std::vector<torch::Tensor>& task_skips);
  // Task role. blocks >= 0 stops after that many blocks (what weak-only
  // conditioning needs); the bottleneck is then undefined.
  TaskFeatures encode(const torch::Tensor& x, const torch::Tensor& cond, std::int64_t blocks = -1);

  // Every ResBlock, in order (for tests and for the U-Net builders' reuse).
  std::vector<ResBlock> resblocks() const;

 private:
  torch::Tensor conv_path(torch::Tensor x, const torch::Tensor& emb, const std::vector<torch::Tensor>& task_skips,
                          std::vector<torch::Tensor>& skips, std::size_t blocks);

  FlexConfig config_;
  Role role_;
  FourierFeatures fourier_{nullptr};
  EmbedMlp time_embed_{nullptr}, cond_embed_{nullptr};
  std::vector<EmbedSequential> input_blocks_;
  torch::Tensor pos_embed_;
  std::vector<TransformerBlock> tr_blocks_;
  TransformerBlock mid_block_{nullptr};
};
TORCH_MODULE(Encoder);

class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const FlexConfig& config);
  // Consumes the encoder's skips (moved in). task may be null features when
  // strong conditioning is off or for the concat ablation.
  torch::Tensor forward(EncoderOutput enc, const TaskFeatures* task, const torch::Tensor& t,
                        const torch::Tensor& cond);
  std::vector<ResBlock> resblocks() const;
  // The zero-initialised head conv (final_layer.2).
  torch::nn::Conv2d& head_conv() { return head_conv_; }

 private:
  FlexConfig config_;
  FourierFeatures fourier_{nullptr};
  EmbedMlp time_embed_{nullptr}, cond_embed_{nullptr};
  std::vector<TransformerBlock> tr_blocks_;
  torch::nn::LayerNorm norm_{nullptr};
  std::vector<EmbedSequential> output_blocks_;
  torch::nn::GroupNorm head_norm_{nullptr};
  torch::nn::Conv2d head_conv_{nullptr};
};
TORCH_MODULE(Decoder);

}  // namespace flex::model
