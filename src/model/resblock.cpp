#include "flex/model/resblock.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/model/dropout.hpp"
#include "flex/model/norms.hpp"
#include "flex/model/recompute.hpp"

namespace flex::model {

namespace F = torch::nn::functional;

namespace {

// A parameter-free container so children get the reference's Sequential
// indices (activations and dropout hold no parameters and are not stored).
std::shared_ptr<torch::nn::Module> holder(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>("Sequential"));
}

torch::Tensor resample(const torch::Tensor& x, Resample r) {
  switch (r) {
    case Resample::Up: return torch::upsample_nearest2d(x, {2 * x.size(2), 2 * x.size(3)});
    case Resample::Down: return torch::avg_pool2d(x, {2, 2}, {2, 2});
    case Resample::None: break;
  }
  return x;
}

}  // namespace

torch::Tensor group_norm_film(const torch::Tensor& x_in, std::int64_t groups, const torch::Tensor& weight,
                              const torch::Tensor& bias, const torch::Tensor& scale, const torch::Tensor& shift,
                              double eps) {
  const auto b = x_in.size(0), c = x_in.size(1);
  // In fp32 (see norms.hpp): under autocast x, scale and shift come from bf16 layers.
  const auto x = in_fp32(x_in);
  const auto gain = in_fp32(scale) + 1.0;                                  // [B, C]
  const auto w = weight * gain;                                            // GN(x) w (1+s)
  const auto o = torch::addcmul(in_fp32(shift), bias.expand_as(gain), gain);  // b (1+s) + shift
  if (b > 1 && x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    // Channels-last: the [1, B*C] view below would copy x to NCHW and back;
    // normalise in place of layout and apply the per-sample affine after.
    const auto gn = group_norm(x, groups, at::Tensor(), at::Tensor(), eps);
    return torch::mul(gn, w.view({b, c, 1, 1})).add_(o.view({b, c, 1, 1}));
  }
  // Sample b's channels are contiguous in [1, B*C], so B*groups groups
  // normalise exactly the per-sample groups.
  return group_norm(x.reshape({1, b * c, x.size(2), x.size(3)}), b * groups, w.reshape({-1}),
                           o.reshape({-1}), eps)
      .view_as(x);
}

ResBlockImpl::ResBlockImpl(const ResBlockOptions& options) : options_(options) {
  auto& o = options_;
  if (o.out_channels == 0) o.out_channels = o.channels;
  FLEX_CHECK(o.channels > 0 && o.emb_channels > 0, "ResBlock needs channels and emb_channels");

  auto in = holder(*this, "in_layers");
  in_norm_ = in->register_module("0", torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, o.channels)));
  in_conv_ = in->register_module(
      "2", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.channels, o.out_channels, 3).padding(1)));

  auto emb = holder(*this, "emb_layers");
  emb_linear_ = emb->register_module(
      "1", torch::nn::Linear(o.emb_channels, o.scale_shift ? 2 * o.out_channels : o.out_channels));

  auto out = holder(*this, "out_layers");
  out_norm_ = out->register_module("0", torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, o.out_channels)));
  out_conv_ = out->register_module(
      "3", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.out_channels, o.out_channels, 3).padding(1)));
  {
    torch::NoGradGuard no_grad;
    out_conv_->weight.zero_();
    out_conv_->bias.zero_();
  }

  if (o.out_channels != o.channels) {
    const std::int64_t k = o.conv_skip ? 3 : 1;
    skip_conv_ = register_module(
        "skip_connection", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.channels, o.out_channels, k).padding(k / 2)));
  }
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  if (!recompute_active(recompute_, is_training())) return compute(x, emb);
  return recomputed_in_backward([this](const std::vector<at::Tensor>& in) { return compute(in[0], in[1]); }, {x, emb});
}

torch::Tensor ResBlockImpl::compute(const torch::Tensor& x_in, const torch::Tensor& emb) {
  const auto& o = options_;
  auto h = F::silu(group_norm(x_in, in_norm_));
  h = in_conv_(resample(h, o.resample));
  const auto x = resample(x_in, o.resample);

  const auto e = emb_linear_(F::silu(emb));  // [B, 2C] or [B, C]
  if (o.scale_shift) {
    const auto ss = e.chunk(2, 1);
    h = group_norm_film(h, o.groups, out_norm_->weight, out_norm_->bias, ss[0], ss[1], out_norm_->options.eps());
  } else {
    h = group_norm(h + e.unsqueeze(-1).unsqueeze(-1), out_norm_);
  }
  h = F::silu(h);
  h = model::dropout(h, o.dropout, is_training());
  // The residual stream stays fp32 under autocast (the convolutions' bf16
  // outputs are added into it, as CUDA AMP's out-of-place adds promote); the
  // next block's GroupNorm reads it in fp32 anyway.
  h = in_fp32(out_conv_(h));
  return skip_conv_ ? h.add_(skip_conv_(x)) : h.add_(x);
}

}  // namespace flex::model
