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
#include "flex/io/channel_stats.hpp"
#include "flex/model/backbone.hpp"
#include "flex/train/data_check.hpp"
#include "flex/train/export_info.hpp"
#include "flex/train/flex_model.hpp"
#include "flex/train/start.hpp"
#include "flex/train/trainer.hpp"

namespace fs = std::filesystem;

namespace flex::train {

namespace {

// The split's files, each checked against the deck (channel, Re) as it is
// opened. `channel` is decided by the first file when the deck leaves it at -1.
std::vector<data::SourceEntry> open_sources(const DataConfig& d, const DataSplit& split, const std::string& deck,
                                            std::int64_t* channel) {
  std::vector<data::SourceEntry> out;
  for (std::size_t i = 0; i < split.files.size(); ++i) {
    const std::string& path = split.files[i];
    FLEX_REQUIRE(fs::exists(path), split.files_origin << ": " << path << " does not exist");
    std::shared_ptr<const data::FieldSource> src = data::open_field_file(path, d.layout);
    const double re = d.reynolds.empty() ? src->reynolds() : d.reynolds[i];
    FLEX_REQUIRE(re > 0, path << " has no `Re` attribute: set data.re in " << deck);
    if (*channel < 0) *channel = src->channels() == 3 ? 2 : 0;
    FLEX_REQUIRE(*channel < src->channels(),
                 d.channel_origin << " = " << *channel << " but " << path << " has " << src->channels());
    out.push_back({src, re, data::select_snapshots(split.snapshots, src->snapshots(), split.snapshots_origin)});
  }
  return out;
}

// Std of the training residuals over the first samples of the (rank-shared) data set.
double residual_std(const data::Dataset& d, std::int64_t samples, std::uint64_t seed, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  double sum = 0, sq = 0, n = 0;
  const std::int64_t count = std::min(samples, d.size());
  for (std::int64_t i = rank; i < count; i += ranks) {
    auto r = d.get(i, derive_seed(seed, Stream::kDataOrder, {99, static_cast<std::uint64_t>(i)})).residual.to(torch::kDouble);
    sum += r.sum().item<double>();
    sq += r.pow(2).sum().item<double>();
    n += static_cast<double>(r.numel());
  }
  sum = mpi::sum(sum, comm);
  sq = mpi::sum(sq, comm);
  n = mpi::sum(n, comm);
  const double mean = sum / n;
  return std::sqrt(std::max(sq / n - mean * mean, 1e-30));
}

// run.check_finite: every snapshot the training and (when validation is on)
// validation samples read, in the channel they read. A file both splits use
// under the same key is scanned once.
void check_finite(const TrainConfig& c, const std::vector<data::SourceEntry>& train,
                  const std::vector<data::SourceEntry>& valid, std::int64_t channel, MPI_Comm comm) {
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
  for (const auto& s : scans) require_finite_data(*s.source, s.snapshots, channel, c.run.about(s.key), s.role, comm);
}

// One training and one validation set per task, SR first; a task's
// validation set is left out when empty or when validation is off.
struct TrainingData {
  std::vector<std::unique_ptr<data::Dataset>> owned;
  std::vector<const data::Dataset*> train, valid;
};

TrainingData make_datasets(const TrainConfig& c, MPI_Comm comm) {
  const DataConfig& d = c.data;
  const std::string& deck = c.run.deck_source;
  std::int64_t channel = d.channel;
  auto train_sources = open_sources(d, d.train, deck, &channel);
  auto valid_sources = open_sources(d, d.valid, deck, &channel);
  data::SampleConfig sc = d.sample;
  sc.channel = channel;
  if (c.run.check_finite) check_finite(c, train_sources, valid_sources, channel, comm);
  std::vector<Task> tasks;
  if (c.backbone.flex.has_sr()) tasks.push_back(Task::SuperResolution);
  if (c.backbone.flex.has_fc()) tasks.push_back(Task::Forecast);
  if (d.norm_from_stats) {
    const auto stats = io::channel_statistics(d.train.files, d.layout, comm);
    sc.norm_mean = stats.mean[static_cast<size_t>(channel)];
    sc.norm_std = stats.std[static_cast<size_t>(channel)];
    FLEX_REQUIRE(sc.norm_std > 0, c.run.about("data.norm") << " = stats: channel " << channel << " of data.files is constant");
    log::info("train: normalisation of channel ", channel, " from ", stats.source, ": mean ", sc.norm_mean, ", std ",
              sc.norm_std);
  }
  if (d.norm_from_data) {
    data::SampleConfig unit = sc;
    unit.norm_std = 1.0;
    data::Dataset probe(train_sources, tasks.front(), unit);
    sc.norm_std = residual_std(probe, d.norm_samples, c.run.seed, comm);
    log::info("train: normalisation std from ", std::min(d.norm_samples, probe.size()), " training residuals: ",
              sc.norm_std);
  }
  TrainingData out;
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
  options.export_info = export_info(config, sample.norm_mean, sample.norm_std);
  auto communicator = comm::make_communicator(comm, device);
  Trainer trainer(*trainable, *communicator, comm, data.train, data.valid, options);
  return trainer.run().stopped_by_signal ? 3 : 0;
}

}  // namespace flex::train
