// The `flex infer` deck: the infer.* keys plus the model.* / model.backbone
// keys of the network the checkpoint holds, read into one validated struct.
// A checkpoint with a settings sidecar (<stem>.json, model/checkpoint_info.hpp)
// supplies those keys itself. `flex validate` reads the same keys for its SR
// skill check.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/core/task.hpp"
#include "flex/data/dataset.hpp"
#include "flex/decomp/tiling.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/io/layout.hpp"
#include "flex/model/backbone.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::infer {

// infer.*, model.*, model.backbone, unet.*, uvit.* (run.* are the CLI's).
void declare_keys(DeckSchema& schema);

// What a forecast feeds back at each lead: the ensemble mean to every member
// (the authors' evaluation, SPEC §3) or each member its own prediction.
enum class Feedback { Mean, Member };

// How overlapping patches are blended (infer/field_inference.hpp).
enum class Fusion { Once, EveryStep };

struct InferConfig {
  RunSettings run;
  model::BackboneConfig model;  // must describe the network the checkpoint was trained as
  Task task = Task::SuperResolution;
  std::string input;       // field file; "" only where a caller tolerates it (missing_inputs)
  io::FieldLayout layout;  // infer.format, infer.dataset, infer.batch_index
  // infer.channel as written: resolved against the input's channel names
  // when it is open (io::select_channels; open_job checks the count against
  // model.in_channels).
  std::string channels = "auto";
  bool lowres_input = false;   // sr: input is the low-res field itself (no truth)
  std::string snapshots = "all";  // sr: selection text, resolved against the input's snapshot count
  // fc, in raw snapshots: frames start - horizon and start are known, lead k
  // is snapshot start + k * horizon.
  long start = 1, rollout = 10, horizon = 1;
  Feedback feedback = Feedback::Mean;
  // fc, infer.restart = auto: continue the same forecast's files in infer.output
  // from their last complete lead (forecast.cpp).
  bool restart = true;
  long factor = 8;         // sr subsampling factor
  data::Bicubic sr_upsampling = data::Bicubic::Conditioning;  // sr conditioning, as trained (infer.sr_upsampling)
  std::string checkpoint;  // state dict; "" only where a caller tolerates it (missing_inputs)
  long halo = 0;           // resolved: infer.halo = -1 means max(1, patch/32)
  Fusion fusion = Fusion::Once;
  // every_step: task features kept between DDIM steps per rank, in MiB; the
  // batches beyond it run their task encoder again at every step.
  long feature_cache_mb = 2048;
  std::array<int, 2> decomposition{0, 0};  // infer.decomposition; {0, 0}: auto
  // infer.boundary; unset (auto): the input format's (periodic; pdebench
  // reflect; era5 reflect in latitude, periodic in longitude).
  std::optional<decomp::Boundaries> boundary;
  long batch = 4;
  long members = 1;
  long steps = 2;
  diffusion::Parameterisation parameterisation = diffusion::Parameterisation::V;
  // Fields enter the network as (x - norm_mean) / norm_std: one value for
  // every channel, or one per selected channel.
  std::vector<double> norm_mean{0.0};
  std::vector<double> norm_std{5.4574137};
  double re = 0;           // 0: the input's `Re` attribute
  data::ReScaling re_scaling = data::ReScaling::Reference;
  std::string output;      // prediction file, resolved against run.output_dir

  // The tiling's boundaries for an input of format `f`.
  decomp::Boundaries boundaries_for(io::Format f) const;

  // run.about(key): how every message about a key starts.
  std::string about(const std::string& key) const { return run.about(key); }
  // The required keys left empty (infer.input, infer.checkpoint).
  std::vector<std::string> missing_inputs() const;
  // InputError naming the first of missing_inputs(), if any.
  void require_inputs() const;
};

// Reads and validates every key; a set infer.input / infer.checkpoint must
// exist, but either may be empty here (require_inputs() when running). Reads
// the deck with_checkpoint_settings().
InferConfig read_config(const Deck& deck);

// `deck` with the settings in the sidecar of infer.checkpoint inherited
// (Deck::inherit: keys at their default take them, a contradicting key is an
// InputError naming both values), logged; `deck` as is when the checkpoint
// is unset, missing, or has no sidecar (an authors' checkpoint).
Deck with_checkpoint_settings(const Deck& deck);

}  // namespace flex::infer
