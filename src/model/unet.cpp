#include "flex/model/unet.hpp"

#include <torch/torch.h>

#include <algorithm>

#include "flex/core/error.hpp"
#include "flex/model/norms.hpp"

namespace flex::model {

namespace F = torch::nn::functional;

namespace {

ResBlock make_block(const UNetConfig& c, std::int64_t in, std::int64_t out, Resample r = Resample::None) {
  return ResBlock(resblock_options(in, out, c.embed_dim(), c.dropout, c.norm_groups, r));
}

}  // namespace

const char* space_name(Space s) { return s == Space::Residual ? "residual" : "raw"; }

bool UNetConfig::has_attention(std::int64_t level) const {
  return std::find(attention_levels.begin(), attention_levels.end(), level) != attention_levels.end();
}

void UNetConfig::validate(const std::string& where) const {
  FLEX_REQUIRE(!channels.empty(), where << ": unet.channels is empty");
  for (auto ch : channels)
    FLEX_REQUIRE(ch > 0 && ch % norm_groups == 0, where << ": unet.channels entry " << ch
                                                        << " is not a positive multiple of " << norm_groups
                                                        << " (GroupNorm groups)");
  FLEX_REQUIRE(blocks >= 1, where << ": unet.blocks = " << blocks << " must be >= 1");
  for (auto l : attention_levels)
    FLEX_REQUIRE(l >= 0 && l < levels(), where << ": unet.attention_levels entry " << l << " is not a level in [0, "
                                               << levels() - 1 << "] (one per unet.channels entry)");
  FLEX_REQUIRE(heads >= 1, where << ": unet.heads must be >= 1");
  for (std::int64_t l = 0; l < levels(); ++l)
    FLEX_REQUIRE(!has_attention(l) || channels[l] % heads == 0,
                 where << ": unet.heads = " << heads << " does not divide unet.channels entry " << channels[l]
                       << " of attention level " << l);
  FLEX_REQUIRE(channels.back() % heads == 0, where << ": unet.heads = " << heads
                                                   << " does not divide the middle block's width " << channels.back());
  FLEX_REQUIRE(out_channels >= 1 && cond_channels >= 1 && n_cond_scalars >= 1,
               where << ": U-Net needs >= 1 output channel, conditioning channel and conditioning scalar");
  FLEX_REQUIRE(dropout >= 0 && dropout < 1, where << ": model.dropout must be in [0, 1)");
}

SpatialAttentionImpl::SpatialAttentionImpl(std::int64_t channels, std::int64_t heads, std::int64_t groups) {
  norm_ = register_module("norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels)));
  attn_ = register_module("attn", Attention(channels, heads));
  // Nichol & Dhariwal zero their proj_out: the block starts as the identity.
  torch::NoGradGuard no_grad;
  for (auto& p : attn_->named_parameters())
    if (p.key().rfind("proj.", 0) == 0) p.value().zero_();
}

torch::Tensor SpatialAttentionImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const auto tokens = group_norm(x, norm_).reshape({b, c, h * w}).transpose(1, 2);  // [B, HW, C]
  return x + attn_(tokens).transpose(1, 2).reshape({b, c, h, w});
}

UNetBlockImpl::UNetBlockImpl(ResBlock first, SpatialAttention attention, ResBlock second) {
  first_ = register_module("res", std::move(first));
  if (attention) attention_ = register_module("attn", std::move(attention));
  if (second) second_ = register_module("res2", std::move(second));
}

torch::Tensor UNetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  auto h = first_(x, emb);
  if (attention_) h = attention_(h);
  return second_ ? second_(h, emb) : h;
}

std::vector<ResBlock> UNetBlockImpl::resblocks() const {
  std::vector<ResBlock> r{first_};
  if (second_) r.push_back(second_);
  return r;
}

UNetImpl::UNetImpl(const UNetConfig& config) : config_(config) {
  const auto& c = config_;
  c.validate();
  const auto emb = c.embed_dim();
  fourier_ = register_module("fourier", FourierFeatures(c.channels.front()));
  time_embed_ = register_module("time_embed", EmbedMlp(c.channels.front(), emb, emb));
  cond_embed_ = register_module("cond_embed", EmbedMlp(c.n_cond_scalars, emb, emb));

  std::int64_t ch = c.channels.front();
  stem_ = register_module(
      "stem", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.out_channels + c.cond_channels, ch, 3).padding(1)));
  auto attention = [&](std::int64_t level, std::int64_t width) {
    return c.has_attention(level) ? SpatialAttention(width, c.heads, c.norm_groups) : SpatialAttention(nullptr);
  };

  // Channels of every skip, in push order: the stem, then each input block.
  std::vector<std::int64_t> skip_ch{ch};
  auto inputs = register_module("input_blocks", torch::nn::ModuleList());
  for (std::int64_t level = 0; level < c.levels(); ++level) {
    const auto out = c.channels[level];
    for (std::int64_t b = 0; b < c.blocks; ++b, ch = out) {
      input_blocks_.push_back(UNetBlock(make_block(c, ch, out), attention(level, out), nullptr));
      skip_ch.push_back(out);
    }
    if (level + 1 < c.levels()) {
      input_blocks_.push_back(UNetBlock(make_block(c, ch, ch, Resample::Down), nullptr, nullptr));
      skip_ch.push_back(ch);
    }
  }
  for (auto& b : input_blocks_) inputs->push_back(b);

  middle_block_ = register_module(
      "middle_block", UNetBlock(make_block(c, ch, ch), SpatialAttention(ch, c.heads, c.norm_groups), make_block(c, ch, ch)));

  auto outputs = register_module("output_blocks", torch::nn::ModuleList());
  for (std::int64_t level = c.levels() - 1; level >= 0; --level) {
    const auto out = c.channels[level];
    for (std::int64_t i = 0; i <= c.blocks; ++i) {
      const auto skip = skip_ch.back();
      skip_ch.pop_back();
      auto res = make_block(c, ch + skip, out);
      ch = out;
      const bool up = level > 0 && i == c.blocks;
      output_blocks_.push_back(
          UNetBlock(res, attention(level, out), up ? make_block(c, ch, ch, Resample::Up) : ResBlock(nullptr)));
    }
  }
  FLEX_CHECK(skip_ch.empty(), "U-Net skip bookkeeping left " << skip_ch.size() << " skips");
  for (auto& b : output_blocks_) outputs->push_back(b);

  head_norm_ = register_module("head_norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(c.norm_groups, ch)));
  head_conv_ =
      register_module("head_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, c.out_channels, 3).padding(1)));
  torch::NoGradGuard no_grad;
  head_conv_->weight.zero_();
  head_conv_->bias.zero_();
}

torch::Tensor UNetImpl::forward(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                                const torch::Tensor& field) {
  const auto& c = config_;
  FLEX_CHECK(z_t.dim() == 4 && z_t.size(1) == c.out_channels,
             "U-Net z_t must be [B, " << c.out_channels << ", H, W], got " << z_t.sizes());
  FLEX_CHECK(field.dim() == 4 && field.size(1) == c.cond_channels && field.size(0) == z_t.size(0) &&
                 field.size(2) == z_t.size(2) && field.size(3) == z_t.size(3),
             "U-Net conditioning field must be [" << z_t.size(0) << ", " << c.cond_channels << ", " << z_t.size(2)
                                                  << ", " << z_t.size(3) << "], got " << field.sizes());
  FLEX_CHECK(t.dim() == 1 && t.size(0) == z_t.size(0), "t must be [B], got " << t.sizes());
  FLEX_CHECK(cond.dim() == 2 && cond.size(0) == z_t.size(0) && cond.size(1) == c.n_cond_scalars,
             "cond must be [B, " << c.n_cond_scalars << "], got " << cond.sizes());
  FLEX_REQUIRE(z_t.size(2) % c.side_multiple() == 0 && z_t.size(3) % c.side_multiple() == 0,
               "U-Net input " << z_t.size(2) << "x" << z_t.size(3) << " is not divisible by 2^(levels-1) = "
                              << c.side_multiple() << " (unet.channels has " << c.levels() << " levels)");

  const auto emb = time_embed_(fourier_(t)) + cond_embed_(cond);
  auto h = stem_(torch::cat({z_t, field}, 1));
  std::vector<torch::Tensor> skips{h};
  skips.reserve(input_blocks_.size() + 1);
  for (auto& blk : input_blocks_) {
    h = blk(h, emb);
    skips.push_back(h);
  }
  h = middle_block_(h, emb);
  for (auto& blk : output_blocks_) {
    h = blk(torch::cat({h, skips.back()}, 1), emb);
    skips.pop_back();
  }
  return head_conv_(F::silu(group_norm(h, head_norm_)));
}

std::vector<ResBlock> UNetImpl::resblocks() const {
  std::vector<ResBlock> r;
  auto add = [&r](const UNetBlock& b) {
    const auto v = b->resblocks();
    r.insert(r.end(), v.begin(), v.end());
  };
  for (const auto& b : input_blocks_) add(b);
  add(middle_block_);
  for (const auto& b : output_blocks_) add(b);
  return r;
}

}  // namespace flex::model
