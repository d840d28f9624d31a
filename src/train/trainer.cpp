#include "flex/train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "flex/comm/communicator.hpp"
#include "flex/comm/gradient_sync.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/seed.hpp"
#include "flex/core/output.hpp"
#include "flex/core/signals.hpp"
#include "flex/data/loader.hpp"
#include "flex/model/state_dict.hpp"
#include "flex/train/checkpoint.hpp"
#include "flex/train/gradients.hpp"
#include "flex/train/loss_scale.hpp"
#include "flex/train/start.hpp"
#include "flex/train/validation.hpp"
#include "metrics_log.hpp"

namespace fs = std::filesystem;

namespace flex::train {

NamedTensors TrainModel::named_state() {
  NamedTensors out;
  for (auto& [name, t] : model::state_dict(module())) out.emplace_back(name, t);
  return out;
}

std::vector<at::Tensor> TrainModel::joint_loss(const std::vector<data::Batch>& batches, std::uint64_t seed) {
  std::vector<at::Tensor> out;
  for (const auto& b : batches) out.push_back(loss(b, seed));
  return out;
}

MultitaskUpdate parse_multitask_update(const std::string& word) {
  if (word == "joint") return MultitaskUpdate::Joint;
  FLEX_REQUIRE(word == "alternate", "train.mt_update = '" << word << "': expected joint or alternate");
  return MultitaskUpdate::Alternate;
}

const char* multitask_update_name(MultitaskUpdate m) { return m == MultitaskUpdate::Joint ? "joint" : "alternate"; }

namespace {

// The seed id of a joint update's draws, beside the tasks' own ids (0 = SR, 1 = FC).
constexpr std::uint64_t kJointDraw = 2;

// Rows [begin, begin + count) of every tensor of a batch.
data::Batch slice(const data::Batch& b, std::int64_t begin, std::int64_t count) {
  if (begin == 0 && count == b.size()) return b;
  data::Batch s;
  s.task = b.task;
  s.input = b.input.narrow(0, begin, count);
  s.base = b.base.narrow(0, begin, count);
  s.residual = b.residual.narrow(0, begin, count);
  s.cond = b.cond.narrow(0, begin, count);
  s.indices.assign(b.indices.begin() + begin, b.indices.begin() + begin + count);
  return s;
}

// `saved` in the order and with the shapes of `live`; every live tensor must be there.
NamedTensors match_by_name(const NamedTensors& live, const TensorMap& saved, const std::string& file) {
  NamedTensors out;
  for (const auto& [n, t] : live) {
    auto it = saved.find(n);
    FLEX_REQUIRE(it != saved.end(), file << " lacks " << n << " (checkpoint of another model configuration?)");
    FLEX_REQUIRE(it->second.sizes() == t.sizes(),
                 file << ": " << n << " has shape " << it->second.sizes() << ", the model " << t.sizes());
    out.emplace_back(n, it->second);
  }
  return out;
}

std::string shown(const std::string& value) { return value.empty() ? "(empty)" : value; }

// The final EMA weights as a torch.save'd dict, the bytes model::save_state_dict
// writes (kept in step with it), so that they can be written with a checked
// stream and moved into place only when complete.
std::string reference_state_dict_bytes(const NamedTensors& tensors) {
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& [n, t] : tensors) d.insert(n, t.detach().to(torch::kCPU).contiguous());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

struct Trainer::State {
  TrainModel& model;
  comm::Communicator& comm;
  MPI_Comm mpi;
  int rank = 0, ranks = 1;
  std::vector<const data::Dataset*> train, valid;
  TrainOptions opt;
  std::vector<at::Tensor> params;
  std::unique_ptr<comm::GradientSync> sync;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<Ema> ema;
  std::unique_ptr<CheckpointStore> store;
  std::vector<std::unique_ptr<data::Loader>> loaders;
  double lr_scale = 1.0;
  std::int64_t bad_run = 0;
  std::int64_t last_checkpoint = -1;
  LossScale loss_scale;  // fp16 only
  MetricsLog metrics;
  TrainResult result;

  State(TrainModel& m, comm::Communicator& c, MPI_Comm w) : model(m), comm(c), mpi(w) {}

  at::Tensor device_scalars(const std::vector<double>& v) const {
    return torch::tensor(v, torch::kDouble).to(params.front().device());
  }

  void make_loaders(std::int64_t first_step, std::int64_t spe) {
    loaders.clear();
    for (const data::Dataset* d : train) {
      data::LoaderOptions lo;
      lo.batch = opt.batch;
      lo.rank = rank;
      lo.ranks = ranks;
      lo.seed = opt.seed;
      lo.steps_per_epoch = spe;
      lo.prefetch = opt.prefetch;
      lo.pin_memory = params.front().device().is_cuda();
      loaders.push_back(std::make_unique<data::Loader>(*d, lo, first_step));
    }
  }

  void record(std::int64_t step, const log::Fields& fields) {
    for (const auto& [k, v] : fields) result.last[k] = v;
    mpi::on_root(mpi, [&] { metrics.write(step, fields); });  // a failed append stops every rank
  }

  // ---- where a run starts ----------------------------------------------------
  // A fresh run: rank 0's weights (its own initialisation, or opt.init_from) on every rank.
  void start_fresh() {
    if (!opt.init_from.empty()) {
      // Every rank reads it; agreed, so a file one rank cannot read fails them all.
      mpi::agree(mpi, [&] {
        model::load_state_dict(model.module(), model::read_state_dict(opt.init_from),
                               "model.init_from = '" + opt.init_from + "'");
      });
      log::info("train: initial weights from ", opt.init_from, " (model.init_from)");
    }
    sync->broadcast_parameters();
    ema = std::make_unique<Ema>(model.named_state(), opt.ema_decay);
  }

  // ---- checkpoints -----------------------------------------------------------
  void checkpoint(std::int64_t step, std::int64_t spe) {
    FLEX_PROFILE("train::checkpoint");
    at::Tensor rng = at::detail::getDefaultCPUGenerator().get_state();
    const int bytes = static_cast<int>(rng.numel());
    at::Tensor all = torch::empty({ranks, bytes}, torch::kUInt8);
    FLEX_CHECK_MPI(MPI_Gather(rng.data_ptr(), bytes, MPI_BYTE, all.data_ptr(), bytes, MPI_BYTE, 0, mpi));
    // Rank 0 writes; a failure (a full disk) reaches every rank as the same error.
    mpi::on_root(mpi, [&] {
      Checkpoint c;
      c.state.step = step;
      c.state.epoch = step / spe;
      c.state.steps_per_epoch = spe;
      c.state.lr_scale = lr_scale;
      c.state.loss_scale = loss_scale.enabled ? loss_scale.scale : 0.0;
      c.state.loss_scale_good_steps = loss_scale.good_steps;
      c.state.bad_run = bad_run;
      c.state.ranks = ranks;
      c.state.seed = opt.seed;
      c.state.optimizer = opt.optimizer.name;
      if (opt.export_info) c.state.model = opt.export_info->model_keys;
      for (auto& [n, t] : model.named_state()) c.model[n] = t;
      for (auto& [n, t] : ema->shadow()) c.ema[n] = t;
      c.optimizer = optimizer->state();
      for (std::size_t i = 0; i < loaders.size(); ++i)
        c.data_order[task_name(train[i]->task())] = torch::tensor(loaders[i]->order(step / spe), torch::kLong);
      for (int r = 0; r < ranks; ++r) c.rng["rank" + std::to_string(r)] = all[r].clone();
      const std::string where = store->write(step, [&](const std::string& dir) { write_checkpoint(dir, c); });
      log::info("train: checkpoint ", where);
    });
    last_checkpoint = step;
  }

  // How a checkpoint's record differs from this run's settings: one
  // "key: checkpoint A, deck B (where B came from)" each.
  std::vector<std::string> differences(const CheckpointState& c) const {
    std::vector<std::string> out;
    auto differ = [&](const std::string& key, const std::string& theirs, const std::string& ours) {
      const auto it = opt.origins.find(key);
      out.push_back(key + ": checkpoint " + shown(theirs) + ", deck " + shown(ours) +
                    (it == opt.origins.end() ? "" : " (" + it->second + ")"));
    };
    if (c.has_seed && c.seed != opt.seed) differ("run.seed", std::to_string(c.seed), std::to_string(opt.seed));
    if (!c.optimizer.empty() && c.optimizer != opt.optimizer.name) differ("optim.name", c.optimizer, opt.optimizer.name);
    if (opt.export_info) {
      // Keys one side lacks belong to another flex version, not to another network.
      for (const auto& [key, theirs] : c.model) {
        const auto ours = opt.export_info->model_keys.find(key);
        if (ours != opt.export_info->model_keys.end() && ours->second != theirs) differ(key, theirs, ours->second);
      }
    }
    return out;
  }

  // Every rank reads and checks the same checkpoint, agreed: a check that
  // fails on one rank fails on all, before anything is loaded. Returns its step.
  std::int64_t load(const std::string& dir) {
    FLEX_PROFILE("train::load_checkpoint");
    Checkpoint c;
    std::vector<std::string> changed;
    NamedTensors weights, shadow;
    mpi::agree(mpi, [&] {
      c = read_checkpoint(dir);
      changed = differences(c.state);
      std::ostringstream list;
      for (std::size_t i = 0; i < changed.size(); ++i) list << (i ? "; " : "") << changed[i];
      FLEX_REQUIRE(changed.empty() || opt.restart_override,
                   dir << "/state.json: the checkpoint was trained with other settings than the deck's: " << list.str()
                       << "; resume with the checkpoint's values, or set train.restart_override = true if the change "
                          "is intended");
      weights = match_by_name(model.named_state(), c.model, dir + "/model.pt");
      shadow = match_by_name(ema->shadow(), c.ema, dir + "/ema.pt");
    });
    for (const auto& d : changed)
      log::warn("train: ", dir, ": ", d, "; continuing with the deck's value (train.restart_override = true)");
    // Another optimiser's moments mean nothing to this one: it starts from zero.
    const bool same_optimizer = c.state.optimizer.empty() || c.state.optimizer == opt.optimizer.name;
    if (!same_optimizer)
      log::warn("train: ", dir, "/optimizer.pt not loaded: it holds ", c.state.optimizer, " state, and ",
                opt.optimizer.name, " starts from zero moments");
    mpi::agree(mpi, [&] {
      torch::NoGradGuard no_grad;
      const NamedTensors live = model.named_state();
      for (std::size_t i = 0; i < live.size(); ++i) live[i].second.copy_(weights[i].second);
      ema->load_shadow(shadow);
      if (same_optimizer) optimizer->load_state(c.optimizer);
      // The generators only continue bit for bit at the rank count that saved them.
      auto it = c.rng.find("rank" + std::to_string(rank));
      if (c.state.ranks == ranks && it != c.rng.end()) {
        try {
          at::Generator gen = at::detail::getDefaultCPUGenerator();
          gen.set_state(it->second);
        } catch (const std::exception&) {
          FLEX_REQUIRE(false, dir << "/rng.pt: rank" << rank << " is not a generator state LibTorch accepts "
                                  "(damaged checkpoint?)");
        }
      }
    });
    lr_scale = c.state.lr_scale;
    if (loss_scale.enabled && c.state.loss_scale > 0)
      loss_scale.scale = c.state.loss_scale, loss_scale.good_steps = c.state.loss_scale_good_steps;
    bad_run = c.state.bad_run;
    last_checkpoint = c.state.step;
    return c.state.step;
  }

  // Whether the EMA weights (what validation sees and the export holds) are
  // finite on every rank: buffers are not averaged, so one rank may differ.
  bool ema_finite() const {
    torch::NoGradGuard no_grad;
    bool finite = true;
    for (const auto& [n, t] : ema->shadow())
      if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
        finite = false;
        break;
      }
    return !mpi::any(!finite, mpi);
  }

  // The final EMA weights in the reference format, and their sidecar: written
  // under a temporary name in output_dir and moved into place when complete,
  // so a full disk leaves the previous export as it was.
  void export_weights() {
    const std::string path = (fs::path(opt.output_dir) / opt.export_name).string();
    mpi::on_root(mpi, [&] {
      std::error_code ec;
      fs::create_directories(fs::path(path).parent_path(), ec);
      const std::string tmp = output::temporary_for(path);
      try {
        write_file_checked(tmp, reference_state_dict_bytes(ema->shadow()), "the exported EMA weights");
        // The sidecar first: should it fail, the old weights keep their old sidecar.
        if (opt.export_info) model::write_checkpoint_info(path, *opt.export_info);
        fs::rename(tmp, path, ec);
        FLEX_REQUIRE(!ec, path << ": cannot move the exported EMA weights into place (" << ec.message() << ")");
      } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
      }
    });
    log::info("train: EMA weights (reference state-dict format) in ", path);
    if (opt.export_info) log::info("train: their settings in ", model::checkpoint_info_path(path));
  }

  // ---- one update ------------------------------------------------------------
  struct UpdateStats {
    std::vector<double> losses;  // one per task of the update
    double grad_norm = 0;
    bool skipped = false;
    bool overflow = false;  // skipped for the fp16 loss scale's overflow, which was lowered
  };

  // One optimiser update on the batches of the tasks `tasks` (indices into
  // `train`): one task's loss, or the joint loss of several.
  UpdateStats update(std::int64_t step, const std::vector<std::size_t>& tasks, double lr) {
    std::vector<data::Batch> batches;
    for (const std::size_t i : tasks) batches.push_back(loaders[i]->next());
    const std::uint64_t draw = tasks.size() == 1 ? static_cast<std::uint64_t>(batches.front().task) : kJointDraw;
    const auto ustep = static_cast<std::uint64_t>(step);
    // Dropout draws from LibTorch's default generator: re-seeded per update and rank.
    torch::manual_seed(derive_seed(opt.seed, Stream::kDropout, {ustep, draw, static_cast<std::uint64_t>(rank)}));
    const std::uint64_t noise_seed = derive_seed(opt.seed, Stream::kDiffusionNoise, {ustep, draw});
    optimizer->zero_grad();
    const std::int64_t micro = batches.front().size() / opt.accumulation;
    std::vector<double> loss_sums(tasks.size(), 0.0);
    {
      FLEX_PROFILE("train::forward_backward");
      for (std::int64_t m = 0; m < opt.accumulation; ++m) {
        sync->prepare(m == opt.accumulation - 1);
        std::vector<at::Tensor> losses;
        if (tasks.size() == 1) {
          losses.push_back(model.loss(slice(batches.front(), m * micro, micro), noise_seed));
        } else {
          std::vector<data::Batch> slices;
          for (const auto& b : batches) slices.push_back(slice(b, m * micro, micro));
          losses = model.joint_loss(slices, noise_seed);
          FLEX_CHECK(losses.size() == tasks.size(), "joint_loss returned " << losses.size() << " losses for "
                                                                           << tasks.size() << " tasks");
        }
        at::Tensor total = losses.front();
        for (std::size_t k = 1; k < losses.size(); ++k) total = total + losses[k];
        (total * (loss_scale.factor() / static_cast<double>(opt.accumulation))).backward();
        for (std::size_t k = 0; k < losses.size(); ++k)
          loss_sums[k] += losses[k].item<double>() / static_cast<double>(opt.accumulation);
      }
    }
    sync->finish();
    if (loss_scale.enabled) {
      torch::NoGradGuard no_grad;
      for (auto& p : params)
        if (p.grad().defined()) p.mutable_grad().mul_(1.0 / loss_scale.factor());
    }
    UpdateStats st;
    at::Tensor l = device_scalars(loss_sums);
    comm.allreduce_mean(l);
    l = l.cpu();
    for (std::size_t k = 0; k < tasks.size(); ++k) st.losses.push_back(l[static_cast<std::int64_t>(k)].item<double>());
    st.grad_norm = global_grad_norm(params);  // gradients are identical on every rank after averaging
    bool losses_finite = true;
    for (double v : st.losses) losses_finite = losses_finite && std::isfinite(v);
    st.skipped = mpi::any(!(losses_finite && std::isfinite(st.grad_norm)), mpi);
    // Only gradients that overflowed under finite (fp32) losses are the loss
    // scale's doing; a non-finite loss is a bad step and leaves the scale alone.
    // (Losses and gradient norm are the same on every rank after averaging.)
    if (!st.skipped)
      loss_scale.update(true);
    else if (losses_finite)
      st.overflow = loss_scale.update(false);
    if (st.skipped) {
      optimizer->zero_grad();
      return st;
    }
    FLEX_PROFILE("train::optimizer");
    clip_grad_norm(params, st.grad_norm, opt.clip);
    optimizer->step(lr);
    ema->update();
    return st;
  }

  // The updates of one global step: all tasks at once (joint), or one per task.
  std::vector<std::vector<std::size_t>> step_updates() const {
    std::vector<std::vector<std::size_t>> out;
    if (opt.mt_update == MultitaskUpdate::Joint) out.emplace_back();
    for (std::size_t i = 0; i < train.size(); ++i) {
      if (opt.mt_update != MultitaskUpdate::Joint) out.emplace_back();
      out.back().push_back(i);
    }
    return out;
  }

  // ---- validation ------------------------------------------------------------
  void validate_and_record(std::int64_t step) {
    const log::Fields v = validate(model, *ema, valid, {opt.batch, opt.validation_batches, opt.seed}, mpi);
    if (v.empty()) return;
    log::progress("validate", step, v);
    record(step, v);
  }
};

Trainer::Trainer(TrainModel& model, comm::Communicator& comm, MPI_Comm mpi, std::vector<const data::Dataset*> train,
                 std::vector<const data::Dataset*> valid, TrainOptions options)
    : s_(std::make_unique<State>(model, comm, mpi)) {
  State& s = *s_;
  FLEX_CHECK_MPI(MPI_Comm_rank(mpi, &s.rank));
  FLEX_CHECK_MPI(MPI_Comm_size(mpi, &s.ranks));
  s.train = std::move(train);
  s.valid = std::move(valid);
  s.opt = std::move(options);
  s.loss_scale.enabled = s.opt.loss_scaling;
  FLEX_REQUIRE(!s.train.empty(), "train: no training task");
  FLEX_REQUIRE(s.opt.batch % s.opt.accumulation == 0,
               "train.accumulation = " << s.opt.accumulation << " must divide train.batch = " << s.opt.batch);
  steps_per_epoch_ = data::steps_per_epoch(s.train, s.opt.batch, s.ranks);
  FLEX_REQUIRE(steps_per_epoch_ > 0, "train: the training set holds fewer samples than one global batch ("
                                         << s.opt.batch << " per rank x " << s.ranks << " ranks)");
  total_steps_ = s.opt.steps > 0 ? s.opt.steps : s.opt.epochs * steps_per_epoch_;
  if (s.opt.lr.total_steps <= 1) s.opt.lr.total_steps = total_steps_;
  if (s.opt.warmup_fraction >= 0)
    s.opt.lr.warmup_steps = static_cast<std::int64_t>(std::llround(s.opt.warmup_fraction * static_cast<double>(total_steps_)));

  for (auto& p : model.module().parameters())
    if (p.requires_grad()) s.params.push_back(p);
  s.sync = std::make_unique<comm::GradientSync>(s.params, comm);
  s.optimizer = make_optimizer(s.params, s.opt.optimizer);
  s.ema = std::make_unique<Ema>(model.named_state(), s.opt.ema_decay);
  s.store = std::make_unique<CheckpointStore>((fs::path(s.opt.output_dir) / "checkpoints").string(),
                                              s.opt.keep_checkpoints);
}

Trainer::~Trainer() = default;

Ema& Trainer::ema() { return *s_->ema; }

TrainResult Trainer::run() {
  State& s = *s_;
  const std::int64_t spe = steps_per_epoch_;
  // Where to start, and whether output_dir is this run's to write into.
  const StartPlan plan = plan_start(s.opt, s.mpi);
  mpi::on_root(s.mpi, [&] {
    std::error_code ec;
    fs::create_directories(s.opt.output_dir, ec);
    FLEX_REQUIRE(!ec, s.opt.output_dir << ": cannot create run.output_dir (" << ec.message() << ")");
    s.store->remove_stale_temporaries();
  });

  std::int64_t step = 0;
  const std::string& from = plan.checkpoint;
  if (!from.empty()) {
    step = s.load(from);
    log::info("train: resumed from ", from, " at step ", step);
    if (!s.opt.init_from.empty()) log::info("train: model.init_from not used: the weights come from the checkpoint");
  } else {
    s.start_fresh();
  }
  // The run starts for real: only now is anything in output_dir replaced.
  mpi::on_root(s.mpi, [&] {
    if (plan.replaces_run) {
      std::ostringstream found;
      for (std::size_t i = 0; i < plan.found.size(); ++i) found << (i ? ", " : "") << plan.found[i];
      log::warn("train: ", s.opt.output_dir, " held another run's outputs (", found.str(), "); this run replaces them",
                s.opt.overwrite ? " (run.overwrite = true)" : "");
      // Its checkpoints must not mix with this run's: pruning and train.restart = auto would take them for ours.
      if (const std::size_t n = s.store->clear())
        log::warn("train: removed the earlier run's ", n, " entries of ", s.store->dir());
    }
    if (!s.opt.deck_path.empty()) output::write_text_atomic(s.opt.deck_path, s.opt.deck_text);
    // Appended to only when continuing this directory's own run.
    s.metrics.open((fs::path(s.opt.output_dir) / "metrics.jsonl").string(), plan.resumes_here);
  });
  s.make_loaders(step, spe);
  s.model.module().train();
  log::info("train: ", total_steps_, " steps (", spe, " per epoch), ", s.train.size(), " task(s), batch ", s.opt.batch,
            " x ", s.ranks, " ranks, ", s.comm.backend(), " communicator, ", s.sync->bucket_count(), " gradient buckets");
  const auto updates = s.step_updates();
  if (s.train.size() > 1)
    log::info("train: multitask update ", multitask_update_name(s.opt.mt_update), " (train.mt_update): ",
              updates.size(), " optimiser step(s) and EMA update(s) per global step");

  SignalWatch signals;
  const auto t0 = std::chrono::steady_clock::now();
  auto window_start = t0;
  std::int64_t window_steps = 0;
  while (step < total_steps_) {
    if (const int sig = signals.poll(s.mpi)) {
      log::warn("train: signal ", sig, " received: checkpointing at step ", step, " and stopping");
      s.checkpoint(step, spe);
      s.result.stopped_by_signal = true;
      break;
    }
    const double lr = s.opt.lr.at(step) * s.lr_scale;
    log::Fields fields = {{"epoch", static_cast<double>(step / spe)}};
    double norm = 0.0;
    bool any_bad = false;
    for (const auto& tasks : updates) {
      auto st = s.update(step, tasks, lr);
      std::ostringstream losses;
      for (std::size_t k = 0; k < tasks.size(); ++k) {
        const char* name = task_name(s.train[tasks[k]]->task());
        fields.emplace_back(std::string("loss_") + name, st.losses[k]);
        losses << (k ? ", " : "") << name << " loss " << st.losses[k];
      }
      norm = std::max(norm, st.grad_norm);
      if (st.overflow) {
        ++s.result.skipped_updates;
        log::info("train: step ", step, " update skipped: fp16 gradients overflowed; loss scale lowered to ",
                  s.loss_scale.scale);
      } else if (st.skipped) {
        any_bad = true;
        ++s.result.skipped_updates;
        log::warn("train: step ", step, " update skipped: non-finite loss or gradient (", losses.str(), ", |g| ",
                  st.grad_norm, ")");
      }
    }
    s.bad_run = any_bad ? s.bad_run + 1 : 0;
    if (s.bad_run >= s.opt.max_bad_steps) {
      std::string newest;
      mpi::on_root(s.mpi, [&] {
        if (auto n = s.store->newest()) newest = *n;
      });
      newest = mpi::broadcast(newest, s.mpi);
      FLEX_REQUIRE(!newest.empty(), "train: " << s.bad_run << " steps in a row with non-finite loss or gradients "
                                              "and no checkpoint to return to (lower optim.lr or check the data)");
      const double scale = s.lr_scale * s.opt.lr_backoff;
      step = s.load(newest);
      s.lr_scale = scale;
      s.bad_run = 0;
      ++s.result.reloads;
      log::warn("train: reloaded ", newest, "; learning rate scaled by ", s.lr_scale);
      s.make_loaders(step, spe);
      continue;
    }
    ++step;
    ++window_steps;
    fields.emplace_back("lr", lr);
    fields.emplace_back("grad_norm", norm);
    for (auto& [k, v] : fields) s.result.last[k] = v;
    if (step % std::max<std::int64_t>(s.opt.log_every, 1) == 0 || step == total_steps_) {
      const auto now = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(now - window_start).count();
      const double per_step = dt / static_cast<double>(window_steps);
      const double samples = static_cast<double>(s.opt.batch * s.ranks * static_cast<std::int64_t>(s.train.size()));
      fields.emplace_back("samples_per_s", samples / per_step);
      fields.emplace_back("eta_s", per_step * static_cast<double>(total_steps_ - step));
      log::progress("train", step, fields);
      s.record(step, fields);
      window_start = now;
      window_steps = 0;
    }
    if (s.opt.checkpoint_every > 0 && step % s.opt.checkpoint_every == 0 && step < total_steps_) s.checkpoint(step, spe);
    if (s.opt.validate_every > 0 && step % s.opt.validate_every == 0 && step < total_steps_) s.validate_and_record(step);
  }
  s.result.steps_done = step;
  if (s.result.stopped_by_signal) return s.result;

  // Non-finite steps are skipped, but what a NaN batch put into buffers
  // reaches the EMA: such weights are not a result, and a checkpoint of them
  // would be what train.restart = auto resumes.
  FLEX_REQUIRE(s.ema_finite(),
               "train: the EMA weights are not finite at step "
                   << step << " (" << s.result.skipped_updates << " skipped update(s), " << s.result.reloads
                   << " reload(s), learning rate scaled by " << s.lr_scale
                   << "): the run diverged and nothing was exported; check the data (run.check_finite = true) "
                      "and lower optim.lr (the checkpoints in "
                   << s.store->dir() << " hold earlier steps)");
  if (s.result.reloads > 0)
    log::warn("train: ", s.result.reloads, " reload(s) after train.max_bad_steps non-finite steps in a row; the ",
              "learning rate ended scaled by ", s.lr_scale, " (train.lr_backoff): check the data and optim.lr");
  if (s.last_checkpoint != step) s.checkpoint(step, spe);
  s.validate_and_record(step);
  if (!s.opt.export_name.empty()) s.export_weights();
  log::info("train: done, ", step, " steps in ",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s");
  return s.result;
}

}  // namespace flex::train
