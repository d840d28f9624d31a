// The `flex train` deck: keys (data.*, train.*, optim.*, plus model.* and the
// baselines' unet.* / uvit.*), and the validated settings read from them.
// Every check that needs only the deck happens here, before any file is
// opened or any network built; what needs the files (existence, channels,
// `Re` attributes, snapshot counts) is checked by run(), with the key and
// where it came from kept here for its messages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/data/dataset.hpp"
#include "flex/io/layout.hpp"
#include "flex/model/backbone.hpp"
#include "flex/train/flex_model.hpp"
#include "flex/train/trainer.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::train {

// data.*, train.*, optim.*, model.*, unet.*, uvit.* (run.* are the CLI's).
void declare_keys(DeckSchema& schema);

// The training or the validation files. The *_origin labels ("<deck>: data.files",
// "command line: data.valid_snapshots") start the messages about them.
struct DataSplit {
  std::vector<std::string> files;
  std::string files_key;     // data.files | data.valid_files: the key the files came from
  std::string files_origin;
  std::string snapshots;  // even | odd | all | a:b[:s],... (resolved once the snapshot count is known)
  std::string snapshots_origin;
};

struct DataConfig {
  DataSplit train, valid;  // valid.files: data.valid_files, or data.files when that is empty
  io::FieldLayout layout;  // data.format, data.dataset, data.batch_index
  // data.channel as written (auto | all | indices or names), resolved against
  // the first file's channel names (io::select_channels) into sample.channels.
  std::string channels = "auto";
  std::vector<double> reynolds;  // one per file of each split; empty: each file's `Re` attribute
  data::SampleConfig sample;     // its channels (and a single norm value per channel) are set once the files are open
  bool norm_from_data = false;   // data.norm = data: sample.norm_std from the training residuals
  bool norm_from_stats = false;  // data.norm = stats: each channel's mean and std over data.files
  std::int64_t norm_samples = 64;
};

struct TrainConfig {
  RunSettings run;
  model::BackboneConfig backbone;  // n_cond_scalars follow the data.* conditioning
  DataConfig data;
  FlexTrainOptions model_options;  // loss, validation sampling, InfoNCE
  // Its seed, output_dir, overwrite and init_from repeat run.* and
  // model.init_from; its deck_path / deck_text are deck_path() and run.deck_text.
  TrainOptions trainer_options;
  // model.*, unet.*, uvit.* as resolved (model.cond_scalars as built, no
  // model.init_from): the network half of the export's sidecar.
  std::map<std::string, std::string> model_keys;

  // The resolved deck beside the outputs: <output_dir>/train.deck.ini.
  std::string deck_path() const;
};

// Reads and validates the deck (InputError naming the key and where its
// value came from otherwise).
TrainConfig read_config(const Deck& deck);

}  // namespace flex::train
