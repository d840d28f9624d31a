#include "flex/model/config.hpp"

#include <numeric>
#include <sstream>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/model/backbone.hpp"

namespace flex::model {

std::string join(const std::vector<std::int64_t>& v) {
  std::ostringstream s;
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

std::vector<std::int64_t> to_int64(const std::vector<long>& v) { return {v.begin(), v.end()}; }

std::int64_t FlexConfig::tokens() const {
  const std::int64_t side = img >> levels();
  return side * side;
}

std::int64_t FlexConfig::encoder_blocks() const {
  return 1 + std::accumulate(blocks.begin(), blocks.end(), std::int64_t{0}) + levels();
}

std::int64_t FlexConfig::weak_blocks() const {
  if (!uses_task_encoder() || weak_levels == 0) return 0;
  if (weak_levels < 0 || weak_levels >= levels()) return encoder_blocks();
  std::int64_t n = 1;  // the stem
  for (std::int64_t l = 0; l < weak_levels; ++l) n += blocks[l] + 1;
  return n;
}

std::int64_t FlexConfig::encoder_input_channels() const {
  if (uses_task_encoder()) return out_channels;
  return out_channels + (tasks == TaskSet::Forecast ? fc_input_channels() : in_channels);
}

void FlexConfig::validate(const std::string& where) const {
  FLEX_REQUIRE(!channels.empty(), where << ": model.channels is empty");
  FLEX_REQUIRE(blocks.size() == channels.size(), where << ": model.blocks has " << blocks.size()
                                                       << " entries but model.channels has " << channels.size());
  for (auto c : channels)
    FLEX_REQUIRE(c > 0 && c % norm_groups == 0,
                 where << ": model.channels entry " << c << " is not a positive multiple of " << norm_groups
                       << " (GroupNorm groups)");
  for (auto b : blocks) FLEX_REQUIRE(b >= 1, where << ": model.blocks entries must be >= 1, got " << b);
  FLEX_REQUIRE(img > 0 && img % (std::int64_t{1} << levels()) == 0,
               where << ": model.img = " << img << " is not divisible by 2^levels = " << (1 << levels()));
  FLEX_REQUIRE(depth >= 1 && depth % 2 == 1,
               where << ": model.depth = " << depth << " must be odd (depth/2 + middle + depth/2 blocks)");
  FLEX_REQUIRE(heads >= 1 && embed_dim() % heads == 0,
               where << ": model.heads = " << heads << " does not divide the token width " << embed_dim());
  FLEX_REQUIRE(in_channels >= 1 && out_channels >= 1 && cond_frames >= 1,
               where << ": model.in_channels, model.out_channels and model.cond_frames must be >= 1");
  FLEX_REQUIRE(n_cond_scalars >= 1, where << ": model.cond_scalars must be >= 1");
  FLEX_REQUIRE(mlp_ratio > 0, where << ": model.mlp_ratio must be > 0");
  FLEX_REQUIRE(dropout >= 0 && dropout < 1, where << ": model.dropout must be in [0, 1)");
  FLEX_REQUIRE(weak_levels >= -1, where << ": model.weak_levels must be -1 (all) or >= 0");
  if (conditioning == Conditioning::Concat) {
    FLEX_REQUIRE(tasks != TaskSet::Multitask,
                 where << ": model.conditioning = concat needs a single task (model.tasks = sr or fc)");
  } else {
    FLEX_REQUIRE(strong || weak_blocks() > 0,
                 where << ": model.strong = false with model.weak_levels = 0 leaves the task encoder unused;"
                          " use model.conditioning = concat for the no-task-encoder ablation");
  }
}

FlexConfig flex_config_for_size(const std::string& size) {
  FlexConfig c;
  c.size = size;
  if (size == "tiny") {
    c.img = 32, c.channels = {32, 32, 64, 64}, c.blocks = {1, 1, 1, 1}, c.depth = 3, c.heads = 2;
  } else if (size == "S") {
    c.channels = {64, 128, 128, 256}, c.blocks = {2, 3, 3, 3}, c.depth = 13, c.heads = 4;
  } else if (size == "M") {
    c.channels = {64, 128, 256, 512}, c.blocks = {2, 3, 3, 4}, c.depth = 13, c.heads = 8;
  } else if (size == "L") {
    c.channels = {128, 256, 512, 1152}, c.blocks = {2, 3, 3, 3}, c.depth = 21, c.heads = 16;
  } else {
    FLEX_REQUIRE(false, "model.size = '" << size << "': expected one of tiny, S, M, L");
  }
  return c;
}

TaskSet parse_task_set(const std::string& word) {
  if (word == "sr") return TaskSet::SuperResolution;
  if (word == "fc") return TaskSet::Forecast;
  if (word == "mt") return TaskSet::Multitask;
  FLEX_REQUIRE(false, "model.tasks = '" << word << "': expected one of sr, fc, mt");
  return TaskSet::SuperResolution;
}

std::string task_set_name(TaskSet t) {
  switch (t) {
    case TaskSet::SuperResolution: return "sr";
    case TaskSet::Forecast: return "fc";
    case TaskSet::Multitask: return "mt";
  }
  return "?";
}

void declare_model_keys(DeckSchema& s) {
  s.add_choice("model.size", "S", {"tiny", "S", "M", "L"},
               "FLEX size (SPEC §5): S 50M/58M, M 200M/234M, L 1.1B parameters (single-task/multitask); "
               "tiny is the 32² test configuration");
  s.add_int("model.img", 0, "patch side in pixels (0: 256, or 32 for tiny); divisible by 2^levels").range(0, {});
  s.add_ints("model.channels", "", "channels per resolution level, overriding the size's (empty: the size's)")
      .range(1, {});
  s.add_ints("model.blocks", "", "ResBlocks per level in encoder and decoder (empty: the size's)").range(1, {});
  s.add_int("model.depth", 0, "transformer blocks in the bottleneck, odd (0: the size's)").range(0, {});
  s.add_int("model.heads", 0, "attention heads; head width = last channel count / heads (0: the size's)")
      .range(0, {});
  s.add_real("model.mlp_ratio", 2.0, "transformer MLP hidden width / token width").range(0, {});
  s.add_real("model.dropout", 0.1, "dropout in ResBlocks and transformer MLPs while training").range(0, 0.99);
  s.add_choice("model.tasks", "sr", {"sr", "fc", "mt"},
               "task encoders the network carries: super-resolution, forecasting, or both (multitask)");
  s.add_int("model.in_channels", 1, "channels of the SR conditioning field and of each forecast frame")
      .range(1, {});
  s.add_int("model.out_channels", 1, "channels of the predicted residual").range(1, {});
  s.add_int("model.cond_frames", 2, "past frames the forecast encoder sees").range(1, {});
  s.add_int("model.cond_scalars", 1, "conditioning scalars fed to the embeddings (Reynolds number first)")
      .range(1, {});
  s.add_choice("model.conditioning", "encoder", {"encoder", "concat"},
               "encoder: task encoders (FLEX); concat: no task encoder, the conditioning field is concatenated "
               "to the noisy input (Table 2 ablation, single task)");
  s.add_int("model.weak_levels", -1,
            "weak conditioning: task skips added to the shared encoder in levels 0..k-1 (-1: every block, as the "
            "reference; 0: none = strong only)")
      .range(-1, {});
  s.add_bool("model.strong", true, "strong conditioning: task bottleneck and skips enter the decoder");
  s.add_path("model.init_from", "",
             "checkpoint (torch.save'd state dict, e.g. from the reference code or `flex model init`) to start "
             "from; empty: fresh initialisation from run.seed");
}

FlexConfig model_config_from_deck(const Deck& deck) {
  FlexConfig c = flex_config_for_size(deck.get_string("model.size"));
  if (deck.get_int("model.img") > 0) c.img = deck.get_int("model.img");
  if (!deck.get_ints("model.channels").empty()) c.channels = to_int64(deck.get_ints("model.channels"));
  if (!deck.get_ints("model.blocks").empty()) c.blocks = to_int64(deck.get_ints("model.blocks"));
  if (deck.get_int("model.depth") > 0) c.depth = deck.get_int("model.depth");
  if (deck.get_int("model.heads") > 0) c.heads = deck.get_int("model.heads");
  c.mlp_ratio = deck.get_real("model.mlp_ratio");
  c.dropout = deck.get_real("model.dropout");
  c.tasks = parse_task_set(deck.get_string("model.tasks"));
  c.in_channels = deck.get_int("model.in_channels");
  c.out_channels = deck.get_int("model.out_channels");
  c.cond_frames = deck.get_int("model.cond_frames");
  c.n_cond_scalars = deck.get_int("model.cond_scalars");
  c.conditioning =
      deck.get_string("model.conditioning") == "concat" ? Conditioning::Concat : Conditioning::TaskEncoder;
  c.weak_levels = deck.get_int("model.weak_levels");
  c.strong = deck.get_bool("model.strong");
  c.init_from = deck.get_string("model.init_from");
  c.validate(deck.source());
  return c;
}

void declare_backbone_keys(DeckSchema& s) {
  s.add_choice("model.backbone", "flex", {"flex", "unet", "uvit"},
               "diffusion network: flex (SPEC §5), or a baseline with the conditioning field concatenated to "
               "the input: unet (Nichol & Dhariwal, attention at coarse levels) or uvit (Bao et al., patch 8); "
               "baselines are single-task and sized by model.size (tiny, S, M)");
  s.add_ints("unet.channels", "", "U-Net channels per level, level l at side img/2^l (empty: model.size's)")
      .range(1, {});
  s.add_int("unet.blocks", 0, "U-Net ResBlocks per level in the encoder; the decoder has one more (0: model.size's)")
      .range(0, {});
  s.add_ints("unet.attention_levels", "",
             "U-Net levels (0 = full resolution) whose blocks end in self-attention; the middle block always has "
             "it (empty: model.size's, the two coarsest; -1: none)")
      .range(-1, {});
  s.add_int("unet.heads", 0, "U-Net attention heads (0: model.size's)").range(0, {});
  s.add_choice("unet.variant", "residual", {"residual", "raw"},
               "residual: diffuse the residual against the conditioning base (as FLEX); raw: diffuse the full "
               "field (the base added back is zero)");
  s.add_int("uvit.width", 0, "U-ViT token width D (0: model.size's)").range(0, {});
  s.add_int("uvit.depth", 0, "U-ViT transformer blocks, odd: depth/2 + middle + depth/2 (0: model.size's)")
      .range(0, {});
  s.add_int("uvit.heads", 0, "U-ViT attention heads (0: model.size's)").range(0, {});
  s.add_int("uvit.patch", 8, "U-ViT patch size in pixels (the paper's: 8); model.img must be divisible by it")
      .range(1, {});
}

BackboneConfig backbone_config_from_deck(const Deck& deck) {
  BackboneConfig c;
  c.kind = parse_backbone_kind(deck.get_string("model.backbone"));
  c.flex = model_config_from_deck(deck);
  const auto& f = c.flex;
  const auto& where = deck.source();
  if (c.kind == BackboneKind::UNet) {
    const bool sized = !deck.get_ints("unet.channels").empty() && deck.get_int("unet.blocks") > 0 &&
                       !deck.get_ints("unet.attention_levels").empty() && deck.get_int("unet.heads") > 0;
    c.unet = sized ? UNetConfig() : unet_config_for_size(f.size);
    if (!deck.get_ints("unet.channels").empty()) c.unet.channels = to_int64(deck.get_ints("unet.channels"));
    if (deck.get_int("unet.blocks") > 0) c.unet.blocks = deck.get_int("unet.blocks");
    const auto attention = to_int64(deck.get_ints("unet.attention_levels"));
    if (attention == std::vector<std::int64_t>{-1}) {
      c.unet.attention_levels.clear();
    } else if (!attention.empty()) {
      for (auto l : attention)
        FLEX_REQUIRE(l >= 0, where << ": unet.attention_levels: -1 (none) must stand alone, got " << join(attention));
      c.unet.attention_levels = attention;
    }
    if (deck.get_int("unet.heads") > 0) c.unet.heads = deck.get_int("unet.heads");
    c.unet.space = deck.get_string("unet.variant") == "raw" ? Space::Raw : Space::Residual;
    const auto task = baseline_task(f, where, c.kind);
    c.unet.out_channels = f.out_channels, c.unet.cond_channels = task_channels(f, task);
    c.unet.n_cond_scalars = f.n_cond_scalars, c.unet.dropout = f.dropout, c.unet.norm_groups = f.norm_groups;
    c.unet.validate(where);
    FLEX_REQUIRE(f.img % c.unet.side_multiple() == 0,
                 where << ": model.img = " << f.img << " is not divisible by 2^(levels-1) = " << c.unet.side_multiple()
                       << " of unet.channels");
  } else if (c.kind == BackboneKind::UViT) {
    const bool sized = deck.get_int("uvit.width") > 0 && deck.get_int("uvit.depth") > 0 && deck.get_int("uvit.heads") > 0;
    c.uvit = sized ? UViTConfig() : uvit_config_for_size(f.size);
    if (deck.get_int("uvit.width") > 0) c.uvit.width = deck.get_int("uvit.width");
    if (deck.get_int("uvit.depth") > 0) c.uvit.depth = deck.get_int("uvit.depth");
    if (deck.get_int("uvit.heads") > 0) c.uvit.heads = deck.get_int("uvit.heads");
    c.uvit.patch = deck.get_int("uvit.patch");
    const auto task = baseline_task(f, where, c.kind);
    c.uvit.img = f.img, c.uvit.out_channels = f.out_channels, c.uvit.cond_channels = task_channels(f, task);
    c.uvit.n_cond_scalars = f.n_cond_scalars;
    c.uvit.validate(where);
  }
  return c;
}

std::string describe(const FlexConfig& c) {
  std::ostringstream s;
  s << "FLEX-" << c.size << " tasks=" << task_set_name(c.tasks) << " img=" << c.img << " channels=" << join(c.channels)
    << " blocks=" << join(c.blocks) << " depth=" << c.depth << " heads=" << c.heads << " mlp_ratio=" << c.mlp_ratio
    << " dropout=" << c.dropout << " conditioning="
    << (c.uses_task_encoder() ? "encoder" : "concat") << " weak_blocks=" << c.weak_blocks() << "/"
    << c.encoder_blocks() << " strong=" << (c.strong ? "on" : "off");
  return s.str();
}

}  // namespace flex::model
