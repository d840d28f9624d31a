#include "flex/model/uvit.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/model/norms.hpp"

namespace flex::model {

namespace {

// trunc_normal_(std=0.02) as timm/U-ViT: cut at +-2 (absolute), which at
// std 0.02 is never reached, so the clamp only guards the definition.
void trunc_normal(torch::Tensor& w) { w.normal_(0.0, 0.02).clamp_(-2.0, 2.0); }

}  // namespace

void UViTConfig::validate(const std::string& where) const {
  FLEX_REQUIRE(patch >= 1 && img > 0 && img % patch == 0,
               where << ": model.img = " << img << " is not divisible by uvit.patch = " << patch);
  FLEX_REQUIRE(depth >= 1 && depth % 2 == 1,
               where << ": uvit.depth = " << depth << " must be odd (depth/2 + middle + depth/2 blocks)");
  FLEX_REQUIRE(heads >= 1 && width % heads == 0,
               where << ": uvit.heads = " << heads << " does not divide uvit.width = " << width);
  FLEX_REQUIRE(out_channels >= 1 && cond_channels >= 1 && n_cond_scalars >= 1,
               where << ": U-ViT needs >= 1 output channel, conditioning channel and conditioning scalar");
  FLEX_REQUIRE(mlp_ratio > 0 && dropout >= 0 && dropout < 1, where << ": U-ViT mlp_ratio/dropout out of range");
}

UViTImpl::UViTImpl(const UViTConfig& config) : config_(config) {
  const auto& c = config_;
  c.validate();
  const auto d = c.width;
  patch_embed_ = register_module(
      "patch_embed",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.out_channels + c.cond_channels, d, c.patch).stride(c.patch)));
  fourier_ = register_module("fourier", FourierFeatures(d));
  // U-ViT's mlp_time_embed: Linear(D, 4D) -> SiLU -> Linear(4D, D).
  time_embed_ = register_module("time_embed", EmbedMlp(d, 4 * d, d));
  cond_embed_ = register_module("cond_embed", EmbedMlp(c.n_cond_scalars, 4 * d, d));
  pos_embed_ = register_parameter("pos_embed", torch::zeros({1, UViTConfig::kExtraTokens + c.tokens(), d}));

  auto in = register_module("in_blocks", torch::nn::ModuleList());
  auto out = register_module("out_blocks", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < c.depth / 2; ++i) {
    in_blocks_.push_back(TransformerBlock(d, c.heads, c.mlp_ratio, c.dropout, false));
    in->push_back(in_blocks_.back());
  }
  mid_block_ = register_module("mid_block", TransformerBlock(d, c.heads, c.mlp_ratio, c.dropout, false));
  for (std::int64_t i = 0; i < c.depth / 2; ++i) {
    out_blocks_.push_back(TransformerBlock(d, c.heads, c.mlp_ratio, c.dropout, true));
    out->push_back(out_blocks_.back());
  }
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  decoder_pred_ = register_module("decoder_pred", torch::nn::Linear(d, c.patch * c.patch * c.out_channels));
  final_conv_ = register_module(
      "final_layer", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.out_channels, c.out_channels, 3).padding(1)));

  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::LinearImpl>()) {
      trunc_normal(lin->weight);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* ln = m->as<torch::nn::LayerNormImpl>()) {
      ln->weight.fill_(1.0);
      ln->bias.zero_();
    }
  }
  trunc_normal(pos_embed_);
}

torch::Tensor UViTImpl::forward(const torch::Tensor& z_t, const torch::Tensor& t, const torch::Tensor& cond,
                                const torch::Tensor& field) {
  const auto& c = config_;
  FLEX_CHECK(z_t.dim() == 4 && z_t.size(1) == c.out_channels,
             "U-ViT z_t must be [B, " << c.out_channels << ", H, W], got " << z_t.sizes());
  FLEX_REQUIRE(z_t.size(2) == c.img && z_t.size(3) == c.img,
               "U-ViT input " << z_t.size(2) << "x" << z_t.size(3) << " does not match model.img = " << c.img
                              << " (the positional embedding fixes the patch size)");
  FLEX_CHECK(field.dim() == 4 && field.size(1) == c.cond_channels && field.size(0) == z_t.size(0) &&
                 field.size(2) == c.img && field.size(3) == c.img,
             "U-ViT conditioning field must be [" << z_t.size(0) << ", " << c.cond_channels << ", " << c.img << ", "
                                                  << c.img << "], got " << field.sizes());
  FLEX_CHECK(t.dim() == 1 && t.size(0) == z_t.size(0), "t must be [B], got " << t.sizes());
  FLEX_CHECK(cond.dim() == 2 && cond.size(0) == z_t.size(0) && cond.size(1) == c.n_cond_scalars,
             "cond must be [B, " << c.n_cond_scalars << "], got " << cond.sizes());

  const auto b = z_t.size(0), g = c.grid(), p = c.patch, o = c.out_channels;
  const auto patches = patch_embed_(torch::cat({z_t, field}, 1)).flatten(2).transpose(1, 2);  // [B, L, D]
  const auto time_token = time_embed_(fourier_(t)).unsqueeze(1);
  const auto cond_token = cond_embed_(cond).unsqueeze(1);
  auto x = torch::cat({time_token, cond_token, patches}, 1) + pos_embed_;

  std::vector<torch::Tensor> skips;
  skips.reserve(in_blocks_.size());
  for (auto& blk : in_blocks_) {
    x = blk(x);
    skips.push_back(x);
  }
  x = mid_block_(x);
  for (auto& blk : out_blocks_) {
    x = blk(x, skips.back());
    skips.pop_back();
  }
  x = decoder_pred_(layer_norm(x, norm_)).narrow(1, UViTConfig::kExtraTokens, g * g);  // [B, L, p*p*o]
  // Un-patchify: token (i, j) holds the p x p block (ordered p1, p2, channel).
  const auto field_out = x.reshape({b, g, g, p, p, o}).permute({0, 5, 1, 3, 2, 4}).reshape({b, o, g * p, g * p});
  return final_conv_(field_out);
}

}  // namespace flex::model
