#include "flex/model/flex_parts.hpp"

#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/model/norms.hpp"

namespace flex::model {

namespace F = torch::nn::functional;

namespace {

ResBlock make_resblock(const FlexConfig& c, std::int64_t in, std::int64_t out, Resample r = Resample::None) {
  return ResBlock(resblock_options(in, out, c.embed_dim(), c.dropout, c.norm_groups, r));
}

// Reference initialisation: every Linear xavier-uniform with zero bias,
// LayerNorm (1, 0); convolutions keep LibTorch's default (= PyTorch's).
void init_linear_layers(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::LinearImpl>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* ln = m->as<torch::nn::LayerNormImpl>()) {
      ln->weight.fill_(1.0);
      ln->bias.zero_();
    }
  }
}

template <class T>
std::vector<T> concat(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> r(a);
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

}  // namespace

EmbedSequentialImpl::EmbedSequentialImpl(torch::nn::Conv2d stem) { stem_ = register_module("0", std::move(stem)); }

EmbedSequentialImpl::EmbedSequentialImpl(std::vector<ResBlock> blocks) : blocks_(std::move(blocks)) {
  for (std::size_t i = 0; i < blocks_.size(); ++i) register_module(std::to_string(i), blocks_[i]);
}

torch::Tensor EmbedSequentialImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  if (stem_) return stem_(x);
  auto h = blocks_.front()(x, emb);
  for (std::size_t i = 1; i < blocks_.size(); ++i) h = blocks_[i](h, emb);
  return h;
}

std::int64_t TaskFeatures::bytes() const {
  std::int64_t n = 0;
  for (const auto* x : {&bottleneck, &concat})
    if (x->defined()) n += static_cast<std::int64_t>(x->nbytes());
  for (const auto& s : skips) n += static_cast<std::int64_t>(s.nbytes());
  return n;
}

TaskFeatures TaskFeatures::tile(std::int64_t k) const {
  if (k == 1) return *this;
  auto rep = [k](const torch::Tensor& x) {
    if (!x.defined()) return x;
    std::vector<std::int64_t> r(x.dim(), 1);
    r[0] = k;
    return x.repeat(r);
  };
  TaskFeatures out;
  out.bottleneck = rep(bottleneck);
  out.concat = rep(concat);
  for (const auto& s : skips) out.skips.push_back(rep(s));
  return out;
}

EncoderImpl::EncoderImpl(const FlexConfig& c, std::int64_t in_channels, Role role) : config_(c), role_(role) {
  const auto d = c.embed_dim();
  const bool shared = role == Role::Shared;
  if (shared) {
    fourier_ = register_module("MPFourier", FourierFeatures(d));
    time_embed_ = register_module("time_embed", EmbedMlp(d, 2 * d, d));
  }
  auto list = register_module("input_blocks", torch::nn::ModuleList());
  auto add = [&](EmbedSequential s) {
    list->push_back(s);
    input_blocks_.push_back(s);
  };
  std::int64_t ch = c.channels.front();
  add(EmbedSequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, ch, 3).padding(1))));
  for (std::int64_t level = 0; level < c.levels(); ++level) {
    const auto out = c.channels[level];
    for (std::int64_t b = 0; b < c.blocks[level]; ++b, ch = out)
      add(EmbedSequential(std::vector<ResBlock>{make_resblock(c, ch, out)}));
    add(EmbedSequential(std::vector<ResBlock>{make_resblock(c, out, out, Resample::Down)}));
  }
  cond_embed_ = register_module("cond_embed", EmbedMlp(c.n_cond_scalars, 2 * d, d));
  if (shared) {
    pos_embed_ = register_parameter("pos_embed", torch::zeros({1, 1 + c.tokens(), d}));
    auto tr = register_module("tr_blocks", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.depth / 2; ++i) {
      tr_blocks_.push_back(TransformerBlock(d, c.heads, c.mlp_ratio, c.dropout, false));
      tr->push_back(tr_blocks_.back());
    }
    mid_block_ = register_module("mid_block", TransformerBlock(d, c.heads, c.mlp_ratio, c.dropout, false));
  }
  init_linear_layers(*this);
  if (shared) {
    // Truncated normal, std 0.02, cut at +-2 (absolute, as the reference).
    torch::NoGradGuard no_grad;
    pos_embed_.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
  }
}

torch::Tensor EncoderImpl::conv_path(torch::Tensor x, const torch::Tensor& emb,
                                     const std::vector<torch::Tensor>& task_skips, std::vector<torch::Tensor>& skips,
                                     std::size_t blocks) {
  const auto weak = std::min<std::size_t>(config_.weak_blocks(), task_skips.size());
  skips.reserve(blocks);
  for (std::size_t i = 0; i < blocks; ++i) {
    x = input_blocks_[i](x, emb);
    // Weak conditioning: the task encoder's matching skip, before x becomes skip i.
    if (i < weak) x = x + task_skips[i];
    skips.push_back(x);
  }
  return x;
}

EncoderOutput EncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& cond,
                                   const std::vector<torch::Tensor>& task_skips) {
  FLEX_CHECK(role_ == Role::Shared, "EncoderImpl::forward is the shared encoder's");
  const auto emb = cond_embed_(cond) + time_embed_(fourier_(t));  // [B, D], also the conditioning token
  EncoderOutput out;
  const auto h = conv_path(x, emb, task_skips, out.conv_skips, input_blocks_.size());
  const auto b = h.size(0), d = h.size(1);
  FLEX_REQUIRE(h.size(2) * h.size(3) + 1 == pos_embed_.size(1),
               "FLEX input " << x.size(2) << "x" << x.size(3) << " does not match model.img = " << config_.img
                             << " (the positional embedding fixes the patch size)");
  // Patch size 1: one token per bottleneck pixel, after the conditioning token.
  auto tokens = torch::cat({emb.unsqueeze(1), h.reshape({b, d, -1}).transpose(1, 2)}, 1) + pos_embed_;
  out.token_skips.reserve(tr_blocks_.size());
  for (auto& blk : tr_blocks_) {
    tokens = blk(tokens);
    out.token_skips.push_back(tokens);
  }
  out.tokens = mid_block_(tokens);
  return out;
}

TaskFeatures EncoderImpl::encode(const torch::Tensor& x, const torch::Tensor& cond, std::int64_t blocks) {
  FLEX_CHECK(role_ == Role::Task, "EncoderImpl::encode is the task encoders'");
  const auto all = input_blocks_.size();
  const auto n = blocks < 0 ? all : std::min<std::size_t>(blocks, all);
  TaskFeatures f;
  const auto last = conv_path(x, cond_embed_(cond), {}, f.skips, n);
  if (n == all) f.bottleneck = last;
  return f;
}

std::vector<ResBlock> EncoderImpl::resblocks() const {
  std::vector<ResBlock> r;
  for (const auto& s : input_blocks_) r = concat(r, s->blocks());
  return r;
}

DecoderImpl::DecoderImpl(const FlexConfig& c) : config_(c) {
  const auto d = c.embed_dim();
  fourier_ = register_module("MPFourier", FourierFeatures(d));
  time_embed_ = register_module("time_embed", EmbedMlp(d, 2 * d, d));
  cond_embed_ = register_module("cond_embed", EmbedMlp(c.n_cond_scalars, 2 * d, d));
  auto tr = register_module("tr_blocks", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < c.depth / 2; ++i) {
    tr_blocks_.push_back(TransformerBlock(d, c.heads, c.mlp_ratio, c.dropout, true));
    tr->push_back(tr_blocks_.back());
  }
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)));

  // Channels of the encoder skips the decoder levels consume, in push order
  // (the last level's down-block skip goes to the first up block instead).
  std::vector<std::int64_t> skip_ch{c.channels.front()};
  for (std::int64_t level = 0; level < c.levels(); ++level) {
    skip_ch.insert(skip_ch.end(), c.blocks[level], c.channels[level]);
    if (level != c.levels() - 1) skip_ch.push_back(c.channels[level]);
  }
  auto list = register_module("output_blocks", torch::nn::ModuleList());
  auto add = [&](std::vector<ResBlock> blocks) {
    output_blocks_.push_back(EmbedSequential(std::move(blocks)));
    list->push_back(output_blocks_.back());
  };
  std::int64_t ch = d;
  add({make_resblock(c, 2 * ch, ch, Resample::Up)});
  for (std::int64_t level = c.levels() - 1; level >= 0; --level) {
    const auto out = c.channels[level];
    for (std::int64_t i = 0; i <= c.blocks[level]; ++i) {
      const auto skip = skip_ch.back();
      skip_ch.pop_back();
      std::vector<ResBlock> blocks{make_resblock(c, ch + skip, out)};
      ch = out;
      if (level > 0 && i == c.blocks[level]) blocks.push_back(make_resblock(c, ch, out, Resample::Up));
      add(std::move(blocks));
    }
  }
  auto head = register_module("final_layer", std::make_shared<torch::nn::Module>("Sequential"));
  head_norm_ = head->register_module("0", torch::nn::GroupNorm(torch::nn::GroupNormOptions(c.norm_groups, ch)));
  head_conv_ = head->register_module(
      "2", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, c.out_channels, 3).padding(1)));
  init_linear_layers(*this);
  torch::NoGradGuard no_grad;
  head_conv_->weight.zero_();
  head_conv_->bias.zero_();
}

torch::Tensor DecoderImpl::forward(EncoderOutput enc, const TaskFeatures* task, const torch::Tensor& t,
                                   const torch::Tensor& cond) {
  const bool strong = task != nullptr && task->bottleneck.defined();
  FLEX_CHECK(enc.token_skips.size() == tr_blocks_.size() && enc.conv_skips.size() == output_blocks_.size(),
             "decoder got " << enc.token_skips.size() << "+" << enc.conv_skips.size() << " skips, expects "
                            << tr_blocks_.size() << "+" << output_blocks_.size());
  const auto emb = time_embed_(fourier_(t)) + cond_embed_(cond);  // [B, D]

  // The decoder's own time+condition embedding joins the conditioning token.
  const auto n = enc.tokens.size(1);
  auto x = torch::cat({enc.tokens.narrow(1, 0, 1) + emb.unsqueeze(1), enc.tokens.narrow(1, 1, n - 1)}, 1);
  for (auto& blk : tr_blocks_) {
    x = blk(x, enc.token_skips.back());
    enc.token_skips.pop_back();
  }
  x = layer_norm(x, norm_);
  // Drop the conditioning token, un-flatten (patch size 1).
  const auto b = x.size(0), d = x.size(2);
  const auto side = enc.conv_skips.back().size(2), side_w = enc.conv_skips.back().size(3);
  auto h = x.narrow(1, 1, n - 1).transpose(1, 2).reshape({b, d, side, side_w});
  if (strong) h = h + task->bottleneck;  // strong conditioning: task bottleneck

  std::size_t k = enc.conv_skips.size();
  for (auto& blk : output_blocks_) {
    --k;
    auto in = torch::cat({h, enc.conv_skips[k]}, 1);
    // Strong conditioning again: each level sees shared + task skip (added
    // in place into the concatenation, saving a full-size temporary).
    if (strong) in.narrow(1, h.size(1), enc.conv_skips[k].size(1)).add_(task->skips[k]);
    enc.conv_skips[k] = torch::Tensor();  // free it as soon as it is used
    h = blk(in, emb);
  }
  return head_conv_(F::silu(group_norm(h, head_norm_)));
}

std::vector<ResBlock> DecoderImpl::resblocks() const {
  std::vector<ResBlock> r;
  for (const auto& s : output_blocks_) r = concat(r, s->blocks());
  return r;
}

}  // namespace flex::model
