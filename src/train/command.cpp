// `flex train`: builds data, network, communicator and trainer from the deck.
#include "flex/train/command.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "flex/app/command.hpp"
#include "flex/app/runtime.hpp"
#include "flex/comm/communicator.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/dataset.hpp"
#include "flex/model/config.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/flex.hpp"
#include "flex/train/flex_model.hpp"

namespace fs = std::filesystem;

namespace flex {

void declare_train_keys(DeckSchema& s) {
  model::declare_model_keys(s);
  model::declare_backbone_keys(s);
  // data.*
  s.add_string("data.files", "", "comma-separated field files for training (fields[N,C,H,W] or w[T,H,W])");
  s.add_string("data.valid_files", "", "comma-separated field files for validation (empty: data.files)");
  s.add_string("data.dataset", "", "HDF5 dataset name (empty: `fields`, else `w`)");
  s.add_string("data.train_snapshots", "even", "training snapshots: even | odd | all | ranges a:b[:s],... (b may be end)");
  s.add_string("data.valid_snapshots", "odd", "validation snapshots, same syntax as data.train_snapshots");
  s.add_int("data.channel", -1, "channel to learn (-1: 2 = vorticity for 3-channel (u,v,w) files, else 0)").range(-1, {});
  s.add_reals("data.re", "", "Reynolds number per file (empty: each file's `Re` attribute)").range(0, {});
  s.add_int("data.patch", 0, "training patch side (0: model.img)").range(0, {});
  s.add_int("data.factor", 8, "SR subsampling factor (every factor-th point)").range(1, 64);
  s.add_int("data.horizon", 1, "forecast step, in positions of the snapshot list").range(1, {});
  s.add_choice("data.norm", "fixed", {"fixed", "data"}, "normalisation std: data.norm_std, or computed from training residuals");
  s.add_real("data.norm_std", 5.4574137, "fields are divided by this std (mean 0)").range(1e-12, {});
  s.add_int("data.norm_samples", 64, "training samples used when data.norm = data").range(1, {});
  s.add_choice("data.re_scaling", "log10", {"log10", "linear"},
               "Reynolds conditioning scalar: log10(Re) - 4, or Re / 10^4");
  s.add_bool("data.cond_step", false, "append the forecast horizon as a conditioning scalar");
  s.add_bool("data.cond_factor", false, "append the SR factor / 8 as a conditioning scalar");
  s.add_int("data.patches_per_snapshot", 1, "random patches per snapshot and epoch").range(1, {});
  // train.*
  s.add_int("train.batch", 8, "samples per rank and update").range(1, {});
  s.add_int("train.accumulation", 1, "micro-batches per update (gradient accumulation); divides train.batch").range(1, {});
  s.add_int("train.epochs", 200, "epochs (an epoch: every training sample once, per task)").range(1, {});
  s.add_int("train.steps", 0, "total steps, overriding train.epochs (0: epochs)").range(0, {});
  s.add_real("train.clip", 1.0, "bound on the global gradient norm (0: no clipping)").range(0, {});
  s.add_real("train.ema_decay", 0.999, "EMA decay of the weights used for validation and export").range(0, 0.999999);
  s.add_real("train.infonce_weight", 0.0, "weight of the InfoNCE loss between task encoders (multitask)").range(0, {});
  s.add_real("train.infonce_temperature", 0.07, "InfoNCE softmax temperature").range(1e-6, {});
  s.add_choice("train.param", "v", {"v", "eps", "x"}, "diffusion target parameterisation");
  s.add_choice("train.loss", "l1", {"l1", "l2"}, "diffusion loss norm");
  s.add_int("train.sample_steps", 2, "DDIM steps in validation sampling").range(1, {});
  s.add_int("train.checkpoint_every", 1000, "steps between checkpoints (0: only at the end and on signals)").range(0, {});
  s.add_int("train.keep_checkpoints", 3, "checkpoints kept (the newest)").range(1, {});
  s.add_string("train.restart", "auto", "auto (newest valid checkpoint, if any) | none | a chkNNNNNNNN directory");
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

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::vector<data::SourceEntry> open_sources(const Deck& deck, const std::string& files_key, const std::string& split_key,
                                            std::int64_t* channel) {
  std::string files = deck.get_string(files_key);
  if (files.empty()) files = deck.get_string("data.files");
  const auto paths = split_list(files);
  FLEX_REQUIRE(!paths.empty(), deck.source() << ": data.files is empty: name the field files to train on");
  const auto re = deck.get_reals("data.re");
  FLEX_REQUIRE(re.empty() || re.size() == paths.size(),
               deck.source() << ": data.re has " << re.size() << " values for " << paths.size() << " files");
  std::vector<data::SourceEntry> out;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    FLEX_REQUIRE(fs::exists(paths[i]), deck.source() << ": " << files_key << ": " << paths[i] << " does not exist");
    std::shared_ptr<const data::FieldSource> src = data::open_field_file(paths[i], deck.get_string("data.dataset"));
    const double r = re.empty() ? src->reynolds() : re[i];
    FLEX_REQUIRE(r > 0, paths[i] << " has no `Re` attribute: set data.re in " << deck.source());
    if (*channel < 0) *channel = src->channels() == 3 ? 2 : 0;
    FLEX_REQUIRE(*channel < src->channels(),
                 deck.source() << ": data.channel = " << *channel << " but " << paths[i] << " has " << src->channels());
    out.push_back({src, r, data::select_snapshots(deck.get_string(split_key), src->snapshots(),
                                                  deck.source() + ": " + split_key)});
  }
  return out;
}

// Std of the training residuals over the first samples of the (rank-shared) data set.
double residual_std(const data::Dataset& d, std::int64_t samples, const RunContext& ctx) {
  double sum = 0, sq = 0, n = 0;
  const std::int64_t count = std::min(samples, d.size());
  for (std::int64_t i = ctx.env.rank(); i < count; i += ctx.env.size()) {
    auto r = d.get(i, derive_seed(static_cast<std::uint64_t>(ctx.deck.get_int("run.seed")), Stream::kDataOrder, {99, static_cast<std::uint64_t>(i)}))
                 .residual.to(torch::kDouble);
    sum += r.sum().item<double>();
    sq += r.pow(2).sum().item<double>();
    n += static_cast<double>(r.numel());
  }
  sum = comm::sum(sum, ctx.env.comm());
  sq = comm::sum(sq, ctx.env.comm());
  n = comm::sum(n, ctx.env.comm());
  const double mean = sum / n;
  return std::sqrt(std::max(sq / n - mean * mean, 1e-30));
}

}  // namespace

int run_train(const RunContext& ctx) {
  const Deck& deck = ctx.deck;
  const c10::Device device = configure_runtime(ctx);
  const auto seed = static_cast<std::uint64_t>(deck.get_int("run.seed"));
  model::FlexConfig config = model::model_config_from_deck(deck);

  data::SampleConfig sc;
  sc.patch = deck.get_int("data.patch") > 0 ? deck.get_int("data.patch") : config.img;
  FLEX_REQUIRE(sc.patch == config.img, deck.source() << ": data.patch = " << sc.patch << " differs from model.img = "
                                                     << config.img << " (the transformer's token grid)");
  sc.factor = deck.get_int("data.factor");
  sc.horizon = deck.get_int("data.horizon");
  sc.re_scaling = deck.get_string("data.re_scaling") == "log10" ? data::ReScaling::Log10 : data::ReScaling::Linear;
  sc.cond_step = deck.get_bool("data.cond_step");
  sc.cond_factor = deck.get_bool("data.cond_factor");
  sc.patches_per_snapshot = deck.get_int("data.patches_per_snapshot");
  sc.norm_std = deck.get_real("data.norm_std");
  const std::int64_t n_cond = data::conditioning_count(sc);
  FLEX_REQUIRE(!deck.is_set("model.cond_scalars") || config.n_cond_scalars == n_cond,
               deck.source() << ": model.cond_scalars = " << config.n_cond_scalars << " but data.* conditioning gives "
                             << n_cond << " scalars (Re, plus data.cond_step / data.cond_factor)");
  config.n_cond_scalars = n_cond;

  std::int64_t channel = deck.get_int("data.channel");
  auto train_sources = open_sources(deck, "data.files", "data.train_snapshots", &channel);
  auto valid_sources = open_sources(deck, "data.valid_files", "data.valid_snapshots", &channel);
  sc.channel = channel;
  std::vector<Task> tasks;
  if (config.has_sr()) tasks.push_back(Task::SuperResolution);
  if (config.has_fc()) tasks.push_back(Task::Forecast);
  if (deck.get_string("data.norm") == "data") {
    data::SampleConfig unit = sc;
    unit.norm_std = 1.0;
    data::Dataset probe(train_sources, tasks.front(), unit);
    sc.norm_std = residual_std(probe, deck.get_int("data.norm_samples"), ctx);
    log::info("train: normalisation std from ", std::min(deck.get_int("data.norm_samples"), probe.size()),
              " training residuals: ", sc.norm_std);
  }
  std::vector<std::unique_ptr<data::Dataset>> owned;
  std::vector<const data::Dataset*> train, valid;
  for (auto t : tasks) {
    owned.push_back(std::make_unique<data::Dataset>(train_sources, t, sc));
    train.push_back(owned.back().get());
    owned.push_back(std::make_unique<data::Dataset>(valid_sources, t, sc));
    if (owned.back()->size() > 0 && deck.get_int("train.validation_batches") > 0) valid.push_back(owned.back().get());
  }

  model::BackboneConfig backbone = model::backbone_config_from_deck(deck);
  backbone.flex = config;
  backbone.unet.n_cond_scalars = backbone.uvit.n_cond_scalars = n_cond;
  model::Backbone net = model::make_backbone(backbone, derive_seed(seed, Stream::kModelInit, {}));
  for (auto t : tasks)
    FLEX_REQUIRE(net.has_task(t),
                 deck.source() << ": " << model::describe(backbone) << " cannot train task " << task_name(t)
                               << " (baselines are single-task: set model.tasks)");
  net.module->to(device);
  log::info("train: ", model::describe(backbone), ", ", model::count_parameters(*net.module), " parameters, device ",
            device);

  train::FlexTrainOptions fo;
  fo.loss.param = diffusion::parse_parameterisation(deck.get_string("train.param"));
  fo.loss.norm = diffusion::parse_loss_norm(deck.get_string("train.loss"));
  fo.sample_steps = deck.get_int("train.sample_steps");
  fo.infonce_weight = deck.get_real("train.infonce_weight");
  fo.infonce_temperature = deck.get_real("train.infonce_temperature");
  fo.sr_factor = sc.factor;
  auto trainable = train::make_flex_train_model(net, device, fo);

  train::TrainOptions o;
  o.batch = deck.get_int("train.batch");
  o.accumulation = deck.get_int("train.accumulation");
  o.epochs = deck.get_int("train.epochs");
  o.steps = deck.get_int("train.steps");
  o.lr.peak = deck.get_real("optim.lr");
  o.lr.floor = deck.get_real("optim.lr_min");
  if (deck.get_int("optim.warmup_steps") >= 0)
    o.lr.warmup_steps = deck.get_int("optim.warmup_steps");
  else
    o.warmup_fraction = deck.get_real("optim.warmup");
  o.optimizer.name = deck.get_string("optim.name");
  o.optimizer.beta1 = deck.get_real("optim.beta1");
  o.optimizer.beta2 = deck.get_real("optim.beta2");
  o.optimizer.weight_decay = deck.get_real("optim.weight_decay");
  o.optimizer.eps = deck.get_real("optim.eps");
  o.clip = deck.get_real("train.clip");
  o.ema_decay = deck.get_real("train.ema_decay");
  o.seed = seed;
  o.output_dir = deck.get_string("run.output_dir");
  o.checkpoint_every = deck.get_int("train.checkpoint_every");
  o.keep_checkpoints = static_cast<int>(deck.get_int("train.keep_checkpoints"));
  o.restart = deck.get_string("train.restart");
  o.max_bad_steps = deck.get_int("train.max_bad_steps");
  o.lr_backoff = deck.get_real("train.lr_backoff");
  o.log_every = deck.get_int("train.log_every");
  o.validate_every = deck.get_int("train.validate_every");
  o.validation_batches = deck.get_int("train.validation_batches");
  o.prefetch = deck.get_int("train.prefetch");
  o.export_name = deck.get_string("train.export");
  o.overwrite = deck.get_bool("run.overwrite");

  if (ctx.env.is_root()) {
    fs::create_directories(o.output_dir);
    output::write_text_atomic((fs::path(o.output_dir) / "train.deck").string(), deck.resolved_text());
  }
  auto communicator = comm::make_communicator(ctx.env.comm(), device);
  train::Trainer trainer(*trainable, *communicator, ctx.env.comm(), train, valid, o);
  const train::TrainResult r = trainer.run();
  return r.stopped_by_signal ? 3 : 0;
}

}  // namespace flex
