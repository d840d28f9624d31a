// The data-parallel training loop (SPEC §4), one bundle per trained thing
// (after TorchFort's model pack, passed explicitly): model, optimiser,
// schedule, EMA, communicator, loaders, checkpoints.
//
// Global step s: one update of the shared network on all tasks' batches
// together (`mt_update = Joint`, the authors': summed loss, one backward, one
// optimiser step, one EMA update), or one update per task, SR then FC
// (`Alternate`, the paper's text). An update: zero grads; micro-batches with
// gradient accumulation; averaged gradients (bucketed, overlapped with
// backward); loss averaged over ranks; non-finite loss or gradient norm -> the
// update is skipped on every rank and logged, and after `max_bad_steps` bad
// steps in a row the last checkpoint is reloaded with the learning rate
// scaled by `lr_backoff`; else clip by the global norm, optimiser step at
// lr(s), EMA update.
// Every random draw is re-derived from (run.seed, step, task, rank) and the
// data order from (run.seed, task, epoch), so a resumed run repeats the
// uninterrupted one bit for bit on the CPU.
// A run resumes from a checkpoint (`restart`), or starts fresh from rank 0's
// weights: the model's own initialisation, or the state dict `init_from`.
// It writes into output_dir only when that holds nothing of another run, is
// the run it resumes, or `overwrite` is set (train/start.hpp). A run whose
// final EMA weights are not finite fails instead of exporting them.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flex/data/dataset.hpp"
#include "flex/model/checkpoint_info.hpp"
#include "flex/train/ema.hpp"
#include "flex/train/optimizer.hpp"
#include "flex/train/schedule.hpp"

namespace flex::comm {
class Communicator;
}

namespace flex::train {

// What the loop trains: a module and how a batch becomes a loss.
class TrainModel {
 public:
  virtual ~TrainModel() = default;
  virtual torch::nn::Module& module() = 0;
  // Scalar loss of this rank's (micro-)batch, mean over its samples. `seed`
  // identifies the draw (step, task, rank, micro-batch).
  virtual at::Tensor loss(const data::Batch& batch, std::uint64_t seed) = 0;
  // A joint multitask update's losses, one scalar per batch (one batch per
  // task, SR first, equal sizes); their sum is what is differentiated.
  // Sample i of every batch shares its diffusion time and noise, drawn from
  // `seed`. Default: loss(batch, seed) of each batch, which shares them when
  // loss() draws by position in the batch.
  virtual std::vector<at::Tensor> joint_loss(const std::vector<data::Batch>& batches, std::uint64_t seed);
  // Validation: the predicted residual of each sample (eval mode, no grad).
  virtual at::Tensor predict_residual(const data::Batch& batch, std::uint64_t seed) = 0;
  // Parameters and buffers by name, in the order checkpoints and exports use.
  virtual NamedTensors named_state();
};

// How a multitask step updates the shared network (train.mt_update).
enum class MultitaskUpdate { Joint, Alternate };
MultitaskUpdate parse_multitask_update(const std::string& word);  // joint | alternate
const char* multitask_update_name(MultitaskUpdate m);

struct TrainOptions {
  std::int64_t batch = 8;              // per rank
  std::int64_t accumulation = 1;       // micro-batches per update
  MultitaskUpdate mt_update = MultitaskUpdate::Joint;  // with more than one task
  std::int64_t steps = 0;              // total global steps (0: epochs * steps per epoch)
  std::int64_t epochs = 1;
  LrSchedule lr;                       // total_steps filled in by the trainer when 0
  double warmup_fraction = -1;         // if >= 0: warm-up steps = fraction * total
  OptimizerOptions optimizer;
  double clip = 1.0;                   // global gradient-norm bound (<= 0: off)
  double ema_decay = 0.999;
  std::uint64_t seed = 1234;
  std::string output_dir = "flex-output";
  std::int64_t checkpoint_every = 1000;  // steps (0: only at the end and on signals)
  int keep_checkpoints = 3;
  std::string restart = "auto";          // auto | none | <checkpoint directory>
  // A resume whose checkpoint differs from these options in run.seed,
  // optim.name or the model keys is an error unless this says the change is
  // intended (then a warning per difference).
  bool restart_override = false;
  bool loss_scaling = false;             // dynamic loss scaling (run.precision = fp16; loss_scale.hpp)
  std::int64_t max_bad_steps = 5;
  double lr_backoff = 0.5;
  std::int64_t log_every = 10;
  std::int64_t validate_every = 0;       // steps (0: only at the end)
  std::int64_t validation_batches = 2;   // per rank
  std::int64_t prefetch = 2;
  std::string export_name = "flex_ema.pt";  // final EMA weights, reference format ("" = none)
  std::optional<model::CheckpointInfo> export_info;  // written beside the export as <stem>.json
  std::string init_from;                 // state dict a fresh run starts from ("" = the model's own initialisation)
  bool overwrite = false;                // replace another run's outputs in output_dir
  // Written (rank 0, atomically) once the run has started: after the
  // start/restart checks pass, never by a run that fails before its first step.
  std::string deck_path;                 // "" = none
  std::string deck_text;
  // Deck key -> where its value came from ("command line", the deck file), for messages.
  std::map<std::string, std::string> origins;
};

struct TrainResult {
  std::int64_t steps_done = 0;   // global step reached
  bool stopped_by_signal = false;
  std::int64_t skipped_updates = 0;
  std::int64_t reloads = 0;
  std::map<std::string, double> last;  // last logged metrics (loss_sr, loss_fc, rfne_sr, ...)
};

class Trainer {
 public:
  // `train` / `valid`: one dataset per task, in update order (valid may be empty).
  Trainer(TrainModel& model, comm::Communicator& comm, MPI_Comm mpi, std::vector<const data::Dataset*> train,
          std::vector<const data::Dataset*> valid, TrainOptions options);
  ~Trainer();
  TrainResult run();

  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  std::int64_t total_steps() const { return total_steps_; }
  Ema& ema();

 private:
  struct State;
  std::unique_ptr<State> s_;
  std::int64_t steps_per_epoch_ = 0, total_steps_ = 0;
};

}  // namespace flex::train
