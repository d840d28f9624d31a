// Configuration of the FLEX network (SPEC §5): sizes tiny|S|M|L, patch size,
// channels, which task encoders exist, and the conditioning ablations of the
// paper's Table 2. Plain data, no LibTorch: the train/infer layers and the
// deck code include it cheaply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::model {

// Which task encoders the network carries.
enum class TaskSet { SuperResolution, Forecast, Multitask };

// How the conditioning field reaches the network: through a task encoder
// (FLEX), or concatenated to the noisy input of the shared encoder (the
// "no task encoder" ablation; single task only).
enum class Conditioning { TaskEncoder, Concat };

struct FlexConfig {
  std::string size = "S";          // tiny | S | M | L (what the fields below came from)
  std::int64_t img = 256;          // patch side; divisible by 2^levels
  std::int64_t in_channels = 1;    // channels of the SR conditioning field (and of each FC frame)
  std::int64_t out_channels = 1;   // channels of the residual (network input z_t and output v)
  std::int64_t cond_frames = 2;    // FC conditioning frames, stacked along channels
  std::int64_t n_cond_scalars = 1; // conditioning scalars (Reynolds number, ...)
  std::vector<std::int64_t> channels;  // per resolution level; the last is the token width D
  std::vector<std::int64_t> blocks;    // ResBlocks per level (encoder and decoder alike)
  std::int64_t depth = 13;         // transformer blocks: depth/2 encoder half + middle + depth/2 decoder half
  std::int64_t heads = 4;          // attention heads; head width = D / heads
  double mlp_ratio = 2.0;
  double dropout = 0.1;            // ResBlock and MLP dropout (training mode only)
  std::int64_t norm_groups = 32;   // GroupNorm groups
  TaskSet tasks = TaskSet::SuperResolution;
  Conditioning conditioning = Conditioning::TaskEncoder;
  // Shared-encoder levels whose blocks receive the task-encoder skips (weak
  // conditioning): -1 = every block (the reference), 0 = none, k = the stem
  // and the blocks of levels 0..k-1 (the paper's "early levels").
  std::int64_t weak_levels = -1;
  bool strong = true;              // task bottleneck and skips into the decoder
  std::string init_from;           // checkpoint to start from (model.init_from); empty: fresh initialisation

  std::int64_t levels() const { return static_cast<std::int64_t>(channels.size()); }
  std::int64_t embed_dim() const { return channels.back(); }
  std::int64_t head_dim() const { return embed_dim() / heads; }
  std::int64_t tokens() const;  // (img / 2^levels)^2, without the conditioning token
  // Blocks of the shared encoder (stem included): 1 + sum(blocks) + levels.
  std::int64_t encoder_blocks() const;
  // How many leading shared-encoder blocks get the task skip added.
  std::int64_t weak_blocks() const;
  bool has_sr() const { return tasks != TaskSet::Forecast; }
  bool has_fc() const { return tasks != TaskSet::SuperResolution; }
  bool uses_task_encoder() const { return conditioning == Conditioning::TaskEncoder; }
  std::int64_t fc_input_channels() const { return cond_frames * in_channels; }
  // Input channels of the shared encoder's stem.
  std::int64_t encoder_input_channels() const;

  // Throws InputError naming the offending model.* key; `where` is the deck
  // source (or any label) for the message.
  void validate(const std::string& where = "model config") const;
};

// The sizes of SPEC §5 (reference FLEX() defaults) plus `tiny`, the parity
// fixture's configuration (32², channels 32,32,64,64, blocks 1,1,1,1, depth 3,
// heads 2). Unknown names are an InputError.
FlexConfig flex_config_for_size(const std::string& size);

TaskSet parse_task_set(const std::string& word);  // sr | fc | mt
std::string task_set_name(TaskSet t);

// Deck keys model.* (sizes, shapes, tasks, ablations, init_from).
void declare_model_keys(DeckSchema& schema);
// Size defaults, overridden by every model.* key the deck sets; validated.
FlexConfig model_config_from_deck(const Deck& deck);

// List keys: "64,128,128,256" from a vector, and deck integer lists as int64.
std::string join(const std::vector<std::int64_t>& v);
std::vector<std::int64_t> to_int64(const std::vector<long>& v);

// One line: "FLEX-S sr img=256 channels=64,128,128,256 blocks=2,3,3,3 depth=13 heads=4 ...".
std::string describe(const FlexConfig& c);

}  // namespace flex::model
