#include "flex/train/run.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <vector>

#include "flex/comm/communicator.hpp"
#include "flex/comm/runtime.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/dataset.hpp"
#include "flex/io/channel_selection.hpp"
#include "flex/io/channel_stats.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/recompute.hpp"
#include "flex/train/data_check.hpp"
#include "flex/train/export_info.hpp"
#include "flex/train/flex_model.hpp"
#include "flex/train/start.hpp"
#include "flex/train/trainer.hpp"

namespace fs = std::filesystem;

namespace flex::train {

namespace {

// The split's files, each checked against the deck (channels, Re) as it is
// opened. `channels` are resolved against the first file's channel names
// when still empty; `names` are those channels' names.
std::vector<data::SourceEntry> open_sources(const TrainConfig& c, const DataSplit& split,
                                            std::vector<std::int64_t>* channels, std::vector<std::string>* names) {
  const DataConfig& d = c.data;
  std::vector<data::SourceEntry> out;
  for (std::size_t i = 0; i < split.files.size(); ++i) {
    const std::string& path = split.files[i];
    FLEX_REQUIRE(fs::exists(path), split.files_origin << ": " << path << " does not exist");
    std::shared_ptr<const data::FieldSource> src = data::open_field_file(path, d.layout);
    const double re = d.reynolds.empty() ? src->reynolds() : d.reynolds[i];
    FLEX_REQUIRE(re > 0, path << " has no `Re` attribute: set data.re in " << c.run.deck_source);
    if (channels->empty()) {
      const auto file_names = src->channel_names();
      *channels = io::select_channels(d.channels, file_names, c.run.about("data.channel") + " = " + d.channels, path);
      for (const auto ch : *channels) names->push_back(file_names[static_cast<size_t>(ch)]);
    }
    for (const auto ch : *channels)
      FLEX_REQUIRE(ch < src->channels(), c.run.about("data.channel") << " selects channel " << ch << " but " << path
                                                                     << " has " << src->channels());
    out.push_back({src, re, data::select_snapshots(split.snapshots, src->snapshots(), split.snapshots_origin)});
  }
  return out;
}

// Per channel, the std of the training residuals over the first samples of
// the (rank-shared) data set.
std::vector<double> residual_std(const data::Dataset& d, std::int64_t samples, std::uint64_t seed, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  const auto C = static_cast<std::int64_t>(d.config().channels.size());
  std::vector<double> sum(static_cast<size_t>(C)), sq(sum.size()), n(sum.size());
  const std::int64_t count = std::min(samples, d.size());
  for (std::int64_t i = rank; i < count; i += ranks) {
    auto r = d.get(i, derive_seed(seed, Stream::kDataOrder, {99, static_cast<std::uint64_t>(i)})).residual.to(torch::kDouble);
    for (std::int64_t c = 0; c < C; ++c) {
      const auto k = static_cast<size_t>(c);
      sum[k] += r[c].sum().item<double>();
      sq[k] += r[c].pow(2).sum().item<double>();
      n[k] += static_cast<double>(r[c].numel());
    }
  }
  std::vector<double> out;
  for (size_t k = 0; k < sum.size(); ++k) {
    const double total = mpi::sum(n[k], comm), mean = mpi::sum(sum[k], comm) / total;
    out.push_back(std::sqrt(std::max(mpi::sum(sq[k], comm) / total - mean * mean, 1e-30)));
  }
  return out;
}

// "t2m mean 278.4 std 21.06, tcwv mean ...": one entry per channel, for the log.
std::string per_channel_text(const std::vector<std::string>& names, const std::vector<double>& mean,
                             const std::vector<double>& std) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k)
    out += (k ? ", " : "") + log::concat(names[k], " mean ", mean[k], " std ", std[k]);
  return out;
}

// run.check_finite: every snapshot the training and (when validation is on)
// validation samples read, in the channel they read. A file both splits use
// under the same key is scanned once.
void check_finite(const TrainConfig& c, const std::vector<data::SourceEntry>& train,
                  const std::vector<data::SourceEntry>& valid, const std::vector<std::int64_t>& channels,
                  MPI_Comm comm) {
  const bool sr = c.backbone.flex.has_sr(), fc = c.backbone.flex.has_fc();
  const std::int64_t horizon = c.data.sample.horizon;
  struct Scan {
    const data::FieldSource* source;
    std::string key, role;
    std::vector<std::int64_t> snapshots;
  };
  std::vector<Scan> scans;
  auto add = [&](const std::vector<data::SourceEntry>& entries, const DataSplit& split, const std::string& role) {
    for (const auto& e : entries) {
      auto read = snapshots_read(e.snapshots, e.source->snapshots(), sr, fc, horizon);
      auto same = std::find_if(scans.begin(), scans.end(), [&](const Scan& s) {
        return s.key == split.files_key && s.source->name() == e.source->name();
      });
      if (same == scans.end()) {
        scans.push_back({e.source.get(), split.files_key, role, std::move(read)});
        continue;
      }
      std::vector<std::int64_t> both;
      std::set_union(same->snapshots.begin(), same->snapshots.end(), read.begin(), read.end(), std::back_inserter(both));
      same->snapshots = std::move(both);
      same->role = "training or validation";
    }
  };
  add(train, c.data.train, "training");
  if (c.trainer_options.validation_batches > 0) add(valid, c.data.valid, "validation");
  for (const auto& s : scans)
    for (const auto ch : channels) require_finite_data(*s.source, s.snapshots, ch, c.run.about(s.key), s.role, comm);
}

// One training and one validation set per task, SR first; a task's
// validation set is left out when empty or when validation is off.
struct TrainingData {
  std::vector<std::unique_ptr<data::Dataset>> owned;
  std::vector<const data::Dataset*> train, valid;
  std::vector<std::string> channel_names;  // of the trained channels, for the checkpoint's sidecar
};

TrainingData make_datasets(const TrainConfig& c, MPI_Comm comm) {
  const DataConfig& d = c.data;
  TrainingData out;
  std::vector<std::int64_t> channels;
  auto train_sources = open_sources(c, d.train, &channels, &out.channel_names);
  auto valid_sources = open_sources(c, d.valid, &channels, &out.channel_names);
  const auto C = static_cast<std::int64_t>(channels.size());
  const model::FlexConfig& net = c.backbone.flex;
  FLEX_REQUIRE(C == net.in_channels && C == net.out_channels,
               c.run.about("data.channel") << " = " << d.channels << " selects " << C << " channel(s) but model.in_channels = "
                                           << net.in_channels << " and model.out_channels = " << net.out_channels
                                           << ": set both to " << C);
  data::SampleConfig sc = d.sample;
  sc.channels = channels;
  sc.norm_mean = io::per_channel(sc.norm_mean, channels.size(), c.run.about("data.norm_mean"));
  sc.norm_std = io::per_channel(sc.norm_std, channels.size(), c.run.about("data.norm_std"));
  if (c.run.check_finite) check_finite(c, train_sources, valid_sources, channels, comm);
  std::vector<Task> tasks;
  if (net.has_sr()) tasks.push_back(Task::SuperResolution);
  if (net.has_fc()) tasks.push_back(Task::Forecast);
  if (d.norm_from_stats) {
    const auto stats = io::channel_statistics(d.train.files, d.layout, comm);
    for (std::int64_t k = 0; k < C; ++k) {
      const auto ch = static_cast<size_t>(channels[static_cast<size_t>(k)]);
      sc.norm_mean[static_cast<size_t>(k)] = stats.mean[ch];
      sc.norm_std[static_cast<size_t>(k)] = stats.std[ch];
      FLEX_REQUIRE(stats.std[ch] > 0, c.run.about("data.norm") << " = stats: channel " << out.channel_names[static_cast<size_t>(k)]
                                                               << " of data.files is constant");
    }
    log::info("train: normalisation from ", stats.source, ": ", per_channel_text(out.channel_names, sc.norm_mean, sc.norm_std));
  }
  if (d.norm_from_data) {
    data::SampleConfig unit = sc;
    unit.norm_std.assign(channels.size(), 1.0);
    data::Dataset probe(train_sources, tasks.front(), unit);
    sc.norm_std = residual_std(probe, d.norm_samples, c.run.seed, comm);
    log::info("train: normalisation std from ", std::min(d.norm_samples, probe.size()), " training residuals: ",
              per_channel_text(out.channel_names, sc.norm_mean, sc.norm_std));
  }
  for (auto t : tasks) {
    out.owned.push_back(std::make_unique<data::Dataset>(train_sources, t, sc));
    out.train.push_back(out.owned.back().get());
    out.owned.push_back(std::make_unique<data::Dataset>(valid_sources, t, sc));
    if (out.owned.back()->size() > 0 && c.trainer_options.validation_batches > 0)
      out.valid.push_back(out.owned.back().get());
  }
  return out;
}

}  // namespace

int run(const TrainConfig& config, MPI_Comm comm) {
  // Before any work: a run that may not write into run.output_dir is refused
  // before the data are read and the network built (Trainer::run asks again).
  plan_start(config.trainer_options, comm);
  const c10::Device device = comm::configure_runtime(config.run, comm);
  const TrainingData data = make_datasets(config, comm);

  model::Backbone net = model::make_backbone(config.backbone, derive_seed(config.run.seed, Stream::kModelInit, {}));
  for (const data::Dataset* d : data.train)
    FLEX_REQUIRE(net.has_task(d->task()), config.run.deck_source << ": " << model::describe(config.backbone)
                                                                 << " cannot train task " << task_name(d->task())
                                                                 << " (baselines are single-task: set model.tasks)");
  net.module->to(device);
  log::info("train: ", model::describe(config.backbone), ", ", model::count_parameters(*net.module),
            " parameters, device ", device);
  if (config.model_options.activation_checkpointing)
    log::info("train: activation checkpointing on ", model::set_activation_checkpointing(*net.module, true),
              " blocks (their activations are recomputed in backward)");
  auto model_options = config.model_options;
  // read_config checked that train.accumulation divides train.batch.
  const auto micro_batch = config.trainer_options.batch / config.trainer_options.accumulation;
  model_options.precision =
      model::set_up_compute(*net.module, config.run, model::layout_probe(config.backbone, micro_batch, device, true), comm)
          .precision;
  auto trainable = make_flex_train_model(net, device, model_options);

  // The resolved deck (options.deck_path) is written by the trainer once the
  // run has started, so a run that fails before it leaves no deck behind.
  TrainOptions options = config.trainer_options;
  options.loss_scaling = model_options.precision == model::Precision::FP16;
  const data::SampleConfig& sample = data.train.front()->config();
  options.export_info = export_info(config, sample.norm_mean, sample.norm_std, data.channel_names);
  auto communicator = comm::make_communicator(comm, device);
  Trainer trainer(*trainable, *communicator, comm, data.train, data.valid, options);
  return trainer.run().stopped_by_signal ? 3 : 0;
}

}  // namespace flex::train
