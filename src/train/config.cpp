#include "flex/train/config.hpp"

#include <algorithm>
#include <filesystem>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/model/config.hpp"

namespace flex::train {

void declare_keys(DeckSchema& s) {
  model::declare_model_keys(s);
  model::declare_backbone_keys(s);
  // data.*
  s.add_string("data.files", "", "field files for training, separated by commas or spaces (fields[N,C,H,W] or w[T,H,W])");
  s.add_string("data.valid_files", "", "field files for validation, as data.files (empty: data.files)");
  io::declare_layout_keys(s, "data.", "data.files and data.valid_files");
  s.add_string("data.train_snapshots", "even", "training snapshots: even | odd | all | ranges a:b[:s],... (b may be end)");
  s.add_string("data.valid_snapshots", "odd", "validation snapshots, same syntax as data.train_snapshots");
  s.add_string("data.channel", "auto",
               "channel(s) to learn: auto (the vorticity: w, or 2 of 3 channels, else 0), all, or a comma list of "
               "indices or names (t2m, u,v); several need model.in_channels = model.out_channels = their count");
  s.add_reals("data.re", "", "Reynolds number per file (empty: each file's `Re` attribute)").range(0, {});
  s.add_int("data.patch", 0, "training patch side (0: model.img)").range(0, {});
  s.add_int("data.factor", 8, "SR subsampling factor (every factor-th point)").range(1, 64);
  s.add_choice("data.sr_upsampling", "shifted", {"shifted", "aligned"},
               "SR conditioning: shifted, the authors' bicubic (samples read as cell centres, a (factor-1)/2 px "
               "shift; their checkpoints expect it); aligned, samples at their true positions (the aligned bicubic "
               "baseline), so the network refines the honest baseline");
  s.add_int("data.horizon", 1,
            "forecast step h in raw snapshots of the file: frames (t-h, t) -> t+h, the split choosing t only "
            "(1: consecutive snapshots, the authors')")
      .range(1, {});
  s.add_choice("data.norm", "fixed", {"fixed", "data", "stats"},
               "normalisation: fixed (data.norm_mean, data.norm_std), data (std of the training residuals, mean "
               "data.norm_mean), or stats (each channel's mean and std over data.files, cached beside them: ERA5's)");
  s.add_reals("data.norm_mean", "0",
              "subtracted from fields before the division (data.norm = fixed or data): one value, or one per channel");
  s.add_reals("data.norm_std", "5.4574137",
              "fields are divided by this std (data.norm = fixed): one value, or one per channel")
      .range(1e-12, {});
  s.add_int("data.norm_samples", 64, "training samples used when data.norm = data").range(1, {});
  s.add_choice("data.re_scaling", "ref", {"ref", "log10", "linear"},
               "Reynolds conditioning scalar: ref = Re / 40000 (the authors'), log10(Re) - 4, or Re / 10^4");
  s.add_bool("data.cond_step", false, "append the forecast horizon as a conditioning scalar");
  s.add_bool("data.cond_factor", false, "append the SR factor / 8 as a conditioning scalar");
  s.add_int("data.patches_per_snapshot", 1, "random patches per snapshot and epoch").range(1, {});
  // train.*
  s.add_int("train.batch", 8, "samples per rank and update").range(1, {});
  s.add_int("train.accumulation", 1, "micro-batches per update (gradient accumulation); divides train.batch").range(1, {});
  s.add_bool("train.activation_checkpointing", false,
             "recompute each ResBlock's and transformer block's activations in backward instead of keeping them: "
             "less memory (doc/train.md has the table) for about one more forward in time; same gradients");
  s.add_int("train.epochs", 200, "epochs (an epoch: every training sample once, per task)").range(1, {});
  s.add_int("train.steps", 0, "total steps, overriding train.epochs (0: epochs)").range(0, {});
  s.add_real("train.clip", 1.0, "bound on the global gradient norm (0: no clipping)").range(0, {});
  s.add_real("train.ema_decay", 0.999, "EMA decay of the weights used for validation and export").range(0, 0.999999);
  s.add_choice("train.mt_update", "joint", {"joint", "alternate"},
               "multitask step: joint = one update on the summed SR + FC loss with shared time and noise (the "
               "authors'), alternate = one update per task (SR, then FC)");
  s.add_real("train.infonce_weight", 0.0, "weight of the InfoNCE loss between task encoders (multitask)").range(0, {});
  s.add_real("train.infonce_temperature", 0.07, "InfoNCE softmax temperature").range(1e-6, {});
  s.add_choice("train.param", "v", {"v", "eps", "x"}, "diffusion target parameterisation");
  s.add_choice("train.loss", "l1", {"l1", "l2"}, "diffusion loss norm");
  s.add_int("train.sample_steps", 2, "DDIM steps in validation sampling").range(1, {});
  s.add_int("train.checkpoint_every", 1000, "steps between checkpoints (0: only at the end and on signals)").range(0, {});
  s.add_int("train.keep_checkpoints", 3, "checkpoints kept (the newest)").range(1, {});
  s.add_string("train.restart", "auto", "auto (newest valid checkpoint, if any) | none | a chkNNNNNNNN directory");
  s.add_bool("train.restart_override", false,
             "resume even though the checkpoint was trained with another run.seed, optim.name or model.* / unet.* / "
             "uvit.* value (a warning per difference; another optimiser starts from zero moments)");
  s.add_int("train.max_bad_steps", 5, "non-finite steps in a row before reloading the last checkpoint").range(1, {});
  s.add_real("train.lr_backoff", 0.5, "learning-rate factor applied at each such reload").range(1e-6, 1);
  s.add_int("train.log_every", 10, "steps between progress lines / metrics records").range(1, {});
  s.add_int("train.validate_every", 0, "steps between validations (0: at the end only)").range(0, {});
  s.add_int("train.validation_batches", 4, "validation batches per rank (EMA weights, fixed patches)").range(0, {});
  s.add_int("train.prefetch", 2, "batches read ahead by the loader thread (0: none)").range(0, 64);
  s.add_string("train.export", "flex_ema.pt", "file (in run.output_dir) for the final EMA weights, reference format");
  // optim.*
  s.add_choice("optim.name", "lion", {"lion", "adamw"}, "optimiser");
  s.add_real("optim.lr", 1e-4, "peak learning rate").range(0, {});
  s.add_real("optim.lr_min", 0.0, "learning rate at the end of the cosine decay").range(0, {});
  s.add_real("optim.warmup", 0.02, "linear warm-up, as a fraction of the total steps").range(0, 1);
  s.add_int("optim.warmup_steps", -1, "linear warm-up steps, overriding optim.warmup (-1: use the fraction)").range(-1, {});
  s.add_real("optim.beta1", 0.9, "first-moment (Lion interpolation) coefficient").range(0, 1);
  s.add_real("optim.beta2", 0.99, "second-moment (Lion momentum) coefficient").range(0, 1);
  s.add_real("optim.weight_decay", 0.0, "decoupled weight decay").range(0, {});
  s.add_real("optim.eps", 1e-8, "AdamW denominator epsilon").range(0, {});
}

namespace {

// "<where the value came from>: <key>", the start of messages about it.
std::string origin(const Deck& deck, const std::string& key) { return deck.where(key) + ": " + key; }

DataSplit read_split(const Deck& deck, const std::vector<std::string>& files, const std::string& files_key,
                     const std::string& snapshots_key) {
  DataSplit split;
  split.files = files;
  split.files_key = files_key;
  split.files_origin = origin(deck, files_key);
  split.snapshots = deck.get_string(snapshots_key);
  split.snapshots_origin = origin(deck, snapshots_key);
  return split;
}

DataConfig read_data(const Deck& deck, const model::FlexConfig& net) {
  DataConfig d;
  const auto files = deck.get_strings("data.files");
  FLEX_REQUIRE(!files.empty(), deck.where("data.files") << ": data.files is empty: name the field files to train on");
  d.train = read_split(deck, files, "data.files", "data.train_snapshots");
  const auto valid_files = deck.get_strings("data.valid_files");
  d.valid = valid_files.empty() ? read_split(deck, files, "data.files", "data.valid_snapshots")
                                : read_split(deck, valid_files, "data.valid_files", "data.valid_snapshots");
  d.layout = io::read_layout(deck, "data.");
  d.channels = deck.get_string("data.channel");

  // data.re pairs with the files by position, in either split.
  d.reynolds = deck.get_reals("data.re");
  for (const DataSplit* split : {&d.train, &d.valid})
    FLEX_REQUIRE(d.reynolds.empty() || d.reynolds.size() == split->files.size(),
                 deck.where("data.re") << ": data.re has " << d.reynolds.size() << " values for "
                                       << split->files.size() << " files (" << split->files_origin << ")");
  FLEX_REQUIRE(std::all_of(d.reynolds.begin(), d.reynolds.end(), [](double re) { return re > 0; }),
               deck.where("data.re") << ": data.re values must be > 0");

  data::SampleConfig& sc = d.sample;
  const long patch = deck.get_int("data.patch");
  sc.patch = patch > 0 ? patch : net.img;
  FLEX_REQUIRE(sc.patch == net.img, deck.where("data.patch") << ": data.patch = " << sc.patch
                                                              << " differs from model.img = " << net.img
                                                              << " (the transformer's token grid)");
  sc.factor = deck.get_int("data.factor");
  sc.sr_upsampling = data::parse_sr_upsampling(deck.get_string("data.sr_upsampling"));
  sc.horizon = deck.get_int("data.horizon");
  sc.re_scaling = data::parse_re_scaling(deck.get_string("data.re_scaling"));
  sc.cond_step = deck.get_bool("data.cond_step");
  sc.cond_factor = deck.get_bool("data.cond_factor");
  sc.patches_per_snapshot = deck.get_int("data.patches_per_snapshot");
  sc.norm_mean = deck.get_reals("data.norm_mean");
  sc.norm_std = deck.get_reals("data.norm_std");
  for (const char* key : {"data.norm_mean", "data.norm_std"})
    FLEX_REQUIRE(!deck.get_reals(key).empty(), deck.where(key) << ": key '" << key << "' is empty: give one value, or one per channel");
  d.norm_from_data = deck.get_string("data.norm") == "data";
  d.norm_from_stats = deck.get_string("data.norm") == "stats";
  d.norm_samples = deck.get_int("data.norm_samples");
  return d;
}

// The network's conditioning scalars are the data's: model.cond_scalars, if
// set, must agree with data.*, and every backbone is built with that count.
void match_conditioning(const Deck& deck, const data::SampleConfig& sample, model::BackboneConfig& backbone) {
  const std::int64_t n_cond = data::conditioning_count(sample);
  FLEX_REQUIRE(!deck.is_set("model.cond_scalars") || backbone.flex.n_cond_scalars == n_cond,
               deck.where("model.cond_scalars") << ": model.cond_scalars = " << backbone.flex.n_cond_scalars
                                                << " but data.* conditioning gives " << n_cond
                                                << " scalars (Re, plus data.cond_step / data.cond_factor)");
  backbone.flex.n_cond_scalars = backbone.unet.n_cond_scalars = backbone.uvit.n_cond_scalars = n_cond;
}

FlexTrainOptions read_model_options(const Deck& deck, const data::SampleConfig& sample) {
  FlexTrainOptions fo;
  fo.loss.param = diffusion::parse_parameterisation(deck.get_string("train.param"));
  fo.loss.norm = diffusion::parse_loss_norm(deck.get_string("train.loss"));
  fo.sample_steps = deck.get_int("train.sample_steps");
  fo.infonce_weight = deck.get_real("train.infonce_weight");
  fo.infonce_temperature = deck.get_real("train.infonce_temperature");
  fo.sr_factor = sample.factor;
  fo.sr_upsampling = sample.sr_upsampling;
  fo.activation_checkpointing = deck.get_bool("train.activation_checkpointing");
  return fo;
}

TrainOptions read_trainer_options(const Deck& deck, const RunSettings& run, const model::FlexConfig& net) {
  TrainOptions o;
  o.batch = deck.get_int("train.batch");
  o.accumulation = deck.get_int("train.accumulation");
  FLEX_REQUIRE(o.batch % o.accumulation == 0, deck.where("train.accumulation")
                                                  << ": train.accumulation = " << o.accumulation
                                                  << " must divide train.batch = " << o.batch);
  o.epochs = deck.get_int("train.epochs");
  o.steps = deck.get_int("train.steps");
  o.lr.peak = deck.get_real("optim.lr");
  o.lr.floor = deck.get_real("optim.lr_min");
  const long warmup_steps = deck.get_int("optim.warmup_steps");
  if (warmup_steps >= 0)
    o.lr.warmup_steps = warmup_steps;
  else
    o.warmup_fraction = deck.get_real("optim.warmup");
  o.optimizer.name = deck.get_string("optim.name");
  o.optimizer.beta1 = deck.get_real("optim.beta1");
  o.optimizer.beta2 = deck.get_real("optim.beta2");
  o.optimizer.weight_decay = deck.get_real("optim.weight_decay");
  o.optimizer.eps = deck.get_real("optim.eps");
  o.clip = deck.get_real("train.clip");
  o.ema_decay = deck.get_real("train.ema_decay");
  o.seed = run.seed;
  o.output_dir = run.output_dir;
  o.overwrite = run.overwrite;
  o.checkpoint_every = deck.get_int("train.checkpoint_every");
  o.keep_checkpoints = static_cast<int>(deck.get_int("train.keep_checkpoints"));
  o.restart = deck.get_string("train.restart");
  o.restart_override = deck.get_bool("train.restart_override");
  o.max_bad_steps = deck.get_int("train.max_bad_steps");
  o.lr_backoff = deck.get_real("train.lr_backoff");
  o.log_every = deck.get_int("train.log_every");
  o.validate_every = deck.get_int("train.validate_every");
  o.validation_batches = deck.get_int("train.validation_batches");
  o.prefetch = deck.get_int("train.prefetch");
  o.export_name = deck.get_string("train.export");
  o.mt_update = parse_multitask_update(deck.get_string("train.mt_update"));
  o.init_from = net.init_from;
  FLEX_REQUIRE(o.init_from.empty() || std::filesystem::exists(o.init_from),
               deck.where("model.init_from") << ": model.init_from = " << o.init_from << " does not exist");
  return o;
}

// The network's keys as resolved for this run, for the export's sidecar: every
// model.*, unet.*, uvit.* but model.init_from (where the weights started says
// nothing about what they are), with model.cond_scalars as actually built.
std::map<std::string, std::string> read_model_keys(const Deck& deck, const model::BackboneConfig& backbone) {
  std::map<std::string, std::string> keys;
  for (const char* prefix : {"model.", "unet.", "uvit."}) {
    const auto part = deck.values_with_prefix(prefix);
    keys.insert(part.begin(), part.end());
  }
  keys.erase("model.init_from");
  keys["model.cond_scalars"] = std::to_string(backbone.flex.n_cond_scalars);
  return keys;
}

}  // namespace

std::string TrainConfig::deck_path() const {
  return output::resolved_deck_path((std::filesystem::path(run.output_dir) / "train").string());
}

TrainConfig read_config(const Deck& deck) {
  TrainConfig c;
  c.run = read_run_settings(deck);
  c.backbone = model::backbone_config_from_deck(deck);
  c.data = read_data(deck, c.backbone.flex);
  match_conditioning(deck, c.data.sample, c.backbone);
  c.model_options = read_model_options(deck, c.data.sample);
  c.trainer_options = read_trainer_options(deck, c.run, c.backbone.flex);
  c.model_keys = read_model_keys(deck, c.backbone);
  TrainOptions& o = c.trainer_options;
  for (const char* key : {"run.seed", "run.output_dir", "run.overwrite", "optim.name", "train.restart"})
    o.origins[key] = deck.where(key);
  for (const auto& [key, value] : c.model_keys) o.origins[key] = deck.where(key);
  o.deck_path = c.deck_path();
  o.deck_text = c.run.deck_text;
  return c;
}

}  // namespace flex::train
