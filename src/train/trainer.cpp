#include "flex/train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flex/comm/communicator.hpp"
#include "flex/comm/gradient_sync.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/loader.hpp"
#include "flex/model/state_dict.hpp"
#include "flex/train/checkpoint.hpp"
#include "flex/train/signals.hpp"

namespace fs = std::filesystem;

namespace flex::train {

NamedTensors TrainModel::named_state() {
  NamedTensors out;
  for (auto& [name, t] : model::state_dict(module())) out.emplace_back(name, t);
  return out;
}

at::Tensor rfne_per_sample(const at::Tensor& pred, const at::Tensor& truth) {
  auto diff = (pred - truth).flatten(1).to(torch::kDouble);
  auto ref = truth.flatten(1).to(torch::kDouble);
  return diff.norm(2, 1) / ref.norm(2, 1);
}

double global_grad_norm(const std::vector<at::Tensor>& params) {
  double sq = 0.0;
  for (const auto& p : params)
    if (p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
  return std::sqrt(sq);
}

void clip_grad_norm(const std::vector<at::Tensor>& params, double norm, double max_norm) {
  if (max_norm <= 0.0 || norm <= max_norm) return;
  torch::NoGradGuard no_grad;
  const double scale = max_norm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_
  for (const auto& p : params)
    if (p.grad().defined()) p.grad().mul_(scale);
}

namespace {

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

double json_number(const std::string& text, const std::string& key) {
  const auto at = text.find("\"" + key + "\":");
  FLEX_CHECK(at != std::string::npos, "checkpoint state.json lacks " << key);
  return std::stod(text.substr(at + key.size() + 3));
}

std::string json_line(const std::vector<std::pair<std::string, double>>& fields) {
  std::ostringstream s;
  s.precision(10);
  s << "{";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    s << (i ? ", " : "") << "\"" << fields[i].first << "\": ";
    if (std::isfinite(fields[i].second))
      s << fields[i].second;
    else
      s << "null";
  }
  s << "}";
  return s.str();
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
  std::ofstream metrics;
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
      loaders.push_back(std::make_unique<data::Loader>(*d, lo, first_step));
    }
  }

  void write_metrics(const std::vector<std::pair<std::string, double>>& fields) {
    if (rank != 0) return;
    metrics << json_line(fields) << "\n";
    metrics.flush();
  }

  // ---- checkpoints ---------------------------------------------------------
  void checkpoint(std::int64_t step, std::int64_t spe) {
    FLEX_PROFILE("train::checkpoint");
    at::Tensor rng = at::detail::getDefaultCPUGenerator().get_state();
    const int bytes = static_cast<int>(rng.numel());
    at::Tensor all = torch::empty({ranks, bytes}, torch::kUInt8);
    FLEX_CHECK_MPI(MPI_Gather(rng.data_ptr(), bytes, MPI_BYTE, all.data_ptr(), bytes, MPI_BYTE, 0, mpi));
    if (rank == 0) {
      const std::string where = store->write(step, [&](const std::string& dir) {
        TensorMap model_state, ema_state;
        for (auto& [n, t] : model.named_state()) model_state[n] = t;
        for (auto& [n, t] : ema->shadow()) ema_state[n] = t;
        save_tensors(dir + "/model.pt", model_state);
        save_tensors(dir + "/ema.pt", ema_state);
        save_tensors(dir + "/optimizer.pt", optimizer->state());
        TensorMap order, rngs;
        for (std::size_t i = 0; i < loaders.size(); ++i)
          order[task_name(train[i]->task())] = torch::tensor(loaders[i]->order(step / spe), torch::kLong);
        save_tensors(dir + "/data_order.pt", order);
        for (int r = 0; r < ranks; ++r) rngs["rank" + std::to_string(r)] = all[r].clone();
        save_tensors(dir + "/rng.pt", rngs);
        std::ofstream js(dir + "/state.json");
        js.precision(17);
        js << "{\"step\": " << step << ", \"epoch\": " << step / spe << ", \"steps_per_epoch\": " << spe
           << ", \"lr_scale\": " << lr_scale << ", \"bad_run\": " << bad_run << ", \"ranks\": " << ranks
           << ", \"seed\": " << opt.seed << ", \"optimizer\": \"" << opt.optimizer.name << "\"}\n";
      });
      log::info("train: checkpoint ", where);
    }
    FLEX_CHECK_MPI(MPI_Barrier(mpi));
    last_checkpoint = step;
  }

  // Every rank reads the same checkpoint. Returns its step.
  std::int64_t load(const std::string& dir) {
    FLEX_PROFILE("train::load_checkpoint");
    std::ifstream js(dir + "/state.json");
    FLEX_REQUIRE(js.good(), "train.restart: " << dir << " is not a checkpoint (no state.json)");
    std::stringstream text;
    text << js.rdbuf();
    const auto step = static_cast<std::int64_t>(json_number(text.str(), "step"));
    lr_scale = json_number(text.str(), "lr_scale");
    bad_run = static_cast<std::int64_t>(json_number(text.str(), "bad_run"));
    const auto saved_ranks = static_cast<int>(json_number(text.str(), "ranks"));
    torch::NoGradGuard no_grad;
    TensorMap m = load_tensors(dir + "/model.pt");
    for (auto& [n, t] : model.named_state()) {
      auto it = m.find(n);
      FLEX_REQUIRE(it != m.end(), dir << "/model.pt lacks " << n << " (checkpoint of another model configuration?)");
      FLEX_REQUIRE(it->second.sizes() == t.sizes(), dir << "/model.pt: " << n << " has shape " << it->second.sizes()
                                                         << ", the model " << t.sizes());
      t.copy_(it->second);
    }
    TensorMap e = load_tensors(dir + "/ema.pt");
    NamedTensors shadow;
    for (auto& [n, t] : ema->shadow()) {
      auto it = e.find(n);
      FLEX_REQUIRE(it != e.end(), dir << "/ema.pt lacks " << n);
      shadow.emplace_back(n, it->second);
    }
    ema->load_shadow(shadow);
    optimizer->load_state(load_tensors(dir + "/optimizer.pt"));
    TensorMap rngs = load_tensors(dir + "/rng.pt");
    auto it = rngs.find("rank" + std::to_string(rank));
    if (saved_ranks == ranks && it != rngs.end()) {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      gen.set_state(it->second);
    }
    last_checkpoint = step;
    return step;
  }

  // ---- one update ------------------------------------------------------------
  struct UpdateStats {
    double loss = 0, grad_norm = 0;
    bool skipped = false;
  };

  UpdateStats update(std::int64_t step, std::size_t task_index, double lr) {
    const data::Batch b = loaders[task_index]->next();
    const auto task = static_cast<std::uint64_t>(b.task);
    const auto ustep = static_cast<std::uint64_t>(step);
    // Dropout draws from LibTorch's default generator: re-seeded per update and rank.
    torch::manual_seed(derive_seed(opt.seed, Stream::kDropout, {ustep, task, static_cast<std::uint64_t>(rank)}));
    const std::uint64_t noise_seed = derive_seed(opt.seed, Stream::kDiffusionNoise, {ustep, task});
    optimizer->zero_grad();
    const std::int64_t micro = b.size() / opt.accumulation;
    double loss_sum = 0.0;
    {
      FLEX_PROFILE("train::forward_backward");
      for (std::int64_t m = 0; m < opt.accumulation; ++m) {
        sync->prepare(m == opt.accumulation - 1);
        at::Tensor loss = model.loss(slice(b, m * micro, micro), noise_seed) / static_cast<double>(opt.accumulation);
        loss.backward();
        loss_sum += loss.item<double>();
      }
    }
    sync->finish();
    UpdateStats st;
    at::Tensor l = device_scalars({loss_sum});
    comm.allreduce_mean(l);
    st.loss = l.cpu().item<double>();
    st.grad_norm = global_grad_norm(params);  // gradients are identical on every rank after averaging
    st.skipped = comm::any(!std::isfinite(st.loss) || !std::isfinite(st.grad_norm), mpi);
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

  // ---- validation --------------------------------------------------------------
  std::vector<std::pair<std::string, double>> validate() {
    std::vector<std::pair<std::string, double>> out;
    if (valid.empty()) return out;
    FLEX_PROFILE("train::validate");
    EmaScope with_ema(*ema);
    model.module().eval();
    torch::NoGradGuard no_grad;
    for (const data::Dataset* d : valid) {
      const std::int64_t available = d->size() / (opt.batch * ranks);
      const std::int64_t nb = std::min(opt.validation_batches, available);
      if (nb <= 0) {
        log::warn("train: validation set (", task_name(d->task()), ") smaller than one global batch; skipped");
        continue;
      }
      data::LoaderOptions lo;
      lo.batch = opt.batch;
      lo.rank = rank;
      lo.ranks = ranks;
      lo.seed = opt.seed;
      lo.steps_per_epoch = available;
      lo.prefetch = 0;
      data::Loader vl(*d, lo, 0);  // epoch 0 of the validation order: the same patches every time
      double sum = 0.0, count = 0.0;
      for (std::int64_t j = 0; j < nb; ++j) {
        data::Batch b = vl.make(j);
        auto pred = model.predict_residual(
            b, derive_seed(opt.seed, Stream::kSamplerNoise, {static_cast<std::uint64_t>(j), static_cast<std::uint64_t>(d->task())}));
        auto rf = rfne_per_sample(b.base + pred.to(b.base.device()), b.base + b.residual);
        sum += rf.sum().item<double>();
        count += static_cast<double>(rf.numel());
      }
      sum = comm::sum(sum, mpi);
      count = comm::sum(count, mpi);
      out.emplace_back(std::string("rfne_") + task_name(d->task()), sum / count);
    }
    model.module().train();
    return out;
  }
};

Trainer::Trainer(TrainModel& model, comm::Communicator& comm, MPI_Comm mpi, std::vector<const data::Dataset*> train,
                 std::vector<const data::Dataset*> valid, TrainOptions options)
    : s_(std::make_unique<State>(model, comm, mpi)) {
  State& s = *s_;
  MPI_Comm_rank(mpi, &s.rank);
  MPI_Comm_size(mpi, &s.ranks);
  s.train = std::move(train);
  s.valid = std::move(valid);
  s.opt = std::move(options);
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
  if (s.rank == 0) {
    fs::create_directories(s.opt.output_dir);
    s.store->remove_stale_temporaries();
  }
  FLEX_CHECK_MPI(MPI_Barrier(s.mpi));

  // Where to start: a checkpoint, or rank 0's initial weights.
  std::int64_t step = 0;
  std::string from;
  if (s.opt.restart == "auto") {
    if (auto newest = s.store->newest()) from = *newest;
  } else if (s.opt.restart != "none" && !s.opt.restart.empty()) {
    from = s.opt.restart;
  }
  from = comm::broadcast(from, s.mpi);
  if (!from.empty()) {
    step = s.load(from);
    log::info("train: resumed from ", from, " at step ", step);
  } else {
    s.sync->broadcast_parameters();
    s.ema = std::make_unique<Ema>(s.model.named_state(), s.opt.ema_decay);
  }
  if (s.rank == 0)
    s.metrics.open((fs::path(s.opt.output_dir) / "metrics.jsonl").string(), from.empty() ? std::ios::trunc : std::ios::app);
  s.make_loaders(step, spe);
  s.model.module().train();
  log::info("train: ", total_steps_, " steps (", spe, " per epoch), ", s.train.size(), " task(s), batch ", s.opt.batch,
            " x ", s.ranks, " ranks, ", s.comm.backend(), " communicator, ", s.sync->bucket_count(), " gradient buckets");

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
    std::vector<std::pair<std::string, double>> fields = {{"epoch", static_cast<double>(step / spe)}};
    double norm = 0.0;
    bool any_bad = false;
    for (std::size_t i = 0; i < s.train.size(); ++i) {
      auto st = s.update(step, i, lr);
      fields.emplace_back(std::string("loss_") + task_name(s.train[i]->task()), st.loss);
      norm = std::max(norm, st.grad_norm);
      if (st.skipped) {
        any_bad = true;
        ++s.result.skipped_updates;
        log::warn("train: step ", step, " ", task_name(s.train[i]->task()),
                  " update skipped: non-finite loss or gradient (loss ", st.loss, ", |g| ", st.grad_norm, ")");
      }
    }
    s.bad_run = any_bad ? s.bad_run + 1 : 0;
    if (s.bad_run >= s.opt.max_bad_steps) {
      auto newest = s.store->newest();
      FLEX_REQUIRE(newest.has_value(), "train: " << s.bad_run << " steps in a row with non-finite loss or gradients "
                                                 "and no checkpoint to return to (lower optim.lr or check the data)");
      const double scale = s.lr_scale * s.opt.lr_backoff;
      step = s.load(comm::broadcast(*newest, s.mpi));
      s.lr_scale = scale;
      s.bad_run = 0;
      ++s.result.reloads;
      log::warn("train: reloaded ", *newest, "; learning rate scaled by ", s.lr_scale);
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
      for (auto& [k, v] : fields) s.result.last[k] = v;
      fields.insert(fields.begin(), {"step", static_cast<double>(step)});
      s.write_metrics(fields);
      window_start = now;
      window_steps = 0;
    }
    if (s.opt.checkpoint_every > 0 && step % s.opt.checkpoint_every == 0 && step < total_steps_) s.checkpoint(step, spe);
    if (s.opt.validate_every > 0 && step % s.opt.validate_every == 0 && step < total_steps_) {
      auto v = s.validate();
      if (!v.empty()) {
        log::progress("validate", step, v);
        v.insert(v.begin(), {"step", static_cast<double>(step)});
        s.write_metrics(v);
        for (auto& [k, x] : v) s.result.last[k] = x;
      }
    }
  }
  s.result.steps_done = step;
  if (s.result.stopped_by_signal) return s.result;

  if (s.last_checkpoint != step) s.checkpoint(step, spe);
  auto v = s.validate();
  if (!v.empty()) {
    log::progress("validate", step, v);
    v.insert(v.begin(), {"step", static_cast<double>(step)});
    s.write_metrics(v);
    for (auto& [k, x] : v) s.result.last[k] = x;
  }
  if (!s.opt.export_name.empty() && s.rank == 0) {
    model::StateDict dict;
    for (auto& [n, t] : s.ema->shadow()) dict.emplace_back(n, t);
    const std::string path = (fs::path(s.opt.output_dir) / s.opt.export_name).string();
    model::save_state_dict(dict, path, true);
    log::info("train: EMA weights (reference state-dict format) in ", path);
  }
  log::info("train: done, ", step, " steps in ",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s");
  return s.result;
}

}  // namespace flex::train
