#include "flex/model/shapes.hpp"

#include <functional>

namespace flex::model {

std::int64_t EntryShape::numel() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

namespace {

using Shapes = std::vector<EntryShape>;
using Dims = std::vector<std::int64_t>;

struct Emitter {
  Shapes& out;
  void param(const std::string& name, Dims s) { out.push_back({name, std::move(s), false}); }
  void buffer(const std::string& name, Dims s) { out.push_back({name, std::move(s), true}); }
  void linear(const std::string& p, std::int64_t in, std::int64_t outf, bool bias = true) {
    param(p + "weight", {outf, in});
    if (bias) param(p + "bias", {outf});
  }
  void conv(const std::string& p, std::int64_t in, std::int64_t outc, std::int64_t k) {
    param(p + "weight", {outc, in, k, k});
    param(p + "bias", {outc});
  }
  void norm(const std::string& p, std::int64_t c) {
    param(p + "weight", {c});
    param(p + "bias", {c});
  }
  // ResBlock (resblock.hpp): in_layers, emb_layers, out_layers, skip_connection.
  void resblock(const std::string& p, std::int64_t in, std::int64_t outc, std::int64_t emb) {
    norm(p + "in_layers.0.", in);
    conv(p + "in_layers.2.", in, outc, 3);
    linear(p + "emb_layers.1.", emb, 2 * outc);
    norm(p + "out_layers.0.", outc);
    conv(p + "out_layers.3.", outc, outc, 3);
    if (in != outc) conv(p + "skip_connection.", in, outc, 3);
  }
  void transformer(const std::string& p, std::int64_t d, std::int64_t hidden, bool skip) {
    norm(p + "norm1.", d);
    linear(p + "attn.qkv.", d, 3 * d, false);
    linear(p + "attn.proj.", d, d);
    norm(p + "norm2.", d);
    linear(p + "mlp.fc1.", d, hidden);
    linear(p + "mlp.fc2.", hidden, d);
    if (skip) linear(p + "skip_linear.", 2 * d, d);
  }
  void embed_mlp(const std::string& p, std::int64_t in, std::int64_t d) {
    linear(p + "0.", in, 2 * d);
    linear(p + "2.", 2 * d, d);
  }
  void fourier(const std::string& p, std::int64_t d) {
    buffer(p + "freqs", {d});
    buffer(p + "phases", {d});
  }
};

void encoder(Emitter& e, const FlexConfig& c, const std::string& p, std::int64_t in_channels, bool shared) {
  const auto d = c.embed_dim();
  const auto hidden = static_cast<std::int64_t>(d * c.mlp_ratio);
  if (shared) {
    e.param(p + "pos_embed", {1, 1 + c.tokens(), d});
    e.fourier(p + "MPFourier.", d);
    e.embed_mlp(p + "time_embed.", d, d);
  }
  std::int64_t i = 0, ch = c.channels.front();
  e.conv(p + "input_blocks.0.0.", in_channels, ch, 3);
  for (std::int64_t level = 0; level < c.levels(); ++level) {
    const auto out = c.channels[level];
    for (std::int64_t b = 0; b < c.blocks[level]; ++b, ch = out)
      e.resblock(p + "input_blocks." + std::to_string(++i) + ".0.", ch, out, d);
    e.resblock(p + "input_blocks." + std::to_string(++i) + ".0.", out, out, d);
  }
  e.embed_mlp(p + "cond_embed.", c.n_cond_scalars, d);
  if (shared) {
    for (std::int64_t k = 0; k < c.depth / 2; ++k)
      e.transformer(p + "tr_blocks." + std::to_string(k) + ".", d, hidden, false);
    e.transformer(p + "mid_block.", d, hidden, false);
  }
}

void decoder(Emitter& e, const FlexConfig& c, const std::string& p) {
  const auto d = c.embed_dim();
  const auto hidden = static_cast<std::int64_t>(d * c.mlp_ratio);
  e.fourier(p + "MPFourier.", d);
  e.embed_mlp(p + "time_embed.", d, d);
  e.embed_mlp(p + "cond_embed.", c.n_cond_scalars, d);
  for (std::int64_t k = 0; k < c.depth / 2; ++k)
    e.transformer(p + "tr_blocks." + std::to_string(k) + ".", d, hidden, true);
  e.norm(p + "norm.", d);
  Dims skip_ch{c.channels.front()};
  for (std::int64_t level = 0; level < c.levels(); ++level) {
    skip_ch.insert(skip_ch.end(), c.blocks[level], c.channels[level]);
    if (level != c.levels() - 1) skip_ch.push_back(c.channels[level]);
  }
  std::int64_t i = 0, ch = d;
  e.resblock(p + "output_blocks.0.0.", 2 * ch, ch, d);
  for (std::int64_t level = c.levels() - 1; level >= 0; --level) {
    const auto out = c.channels[level];
    for (std::int64_t b = 0; b <= c.blocks[level]; ++b) {
      const std::string q = p + "output_blocks." + std::to_string(++i) + ".";
      e.resblock(q + "0.", ch + skip_ch.back(), out, d);
      skip_ch.pop_back();
      ch = out;
      if (level > 0 && b == c.blocks[level]) e.resblock(q + "1.", ch, out, d);
    }
  }
  e.norm(p + "final_layer.0.", ch);
  e.conv(p + "final_layer.2.", ch, c.out_channels, 3);
}

}  // namespace

std::vector<EntryShape> flex_state_shapes(const FlexConfig& c) {
  c.validate();
  Shapes out;
  Emitter e{out};
  encoder(e, c, "encoder.", c.encoder_input_channels(), true);
  if (c.uses_task_encoder()) {
    if (c.has_sr()) encoder(e, c, "superres_encoder.", c.in_channels, false);
    if (c.has_fc()) encoder(e, c, "forecast_encoder.", c.fc_input_channels(), false);
  }
  decoder(e, c, "decoder.");
  return out;
}

std::int64_t count_parameters(const FlexConfig& config, const std::string& prefix) {
  std::int64_t n = 0;
  for (const auto& s : flex_state_shapes(config))
    if (!s.buffer && s.name.compare(0, prefix.size(), prefix) == 0) n += s.numel();
  return n;
}

}  // namespace flex::model
