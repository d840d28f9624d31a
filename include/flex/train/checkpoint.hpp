// Training checkpoints as numbered directories, AMReX style:
//   <dir>/chk<step, 8 digits>/{state.json, model.pt, ema.pt, optimizer.pt, data_order.pt, rng.pt}
// Written by rank 0 into a hidden temporary directory that is renamed into
// place when complete, so a chk directory is either whole or absent; the
// newest M are kept. A directory counts as valid when its state.json exists
// (written last). What the files hold is `Checkpoint`.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace flex::train {

using TensorMap = std::map<std::string, at::Tensor>;

// Named tensors in LibTorch's archive format (bit-exact round trip).
void save_tensors(const std::string& path, const TensorMap& tensors);
TensorMap load_tensors(const std::string& path);

std::string checkpoint_name(std::int64_t step);  // "chk00000100"

// state.json: the loop's scalars.
struct CheckpointState {
  std::int64_t step = 0;  // global steps done
  std::int64_t epoch = 0;
  std::int64_t steps_per_epoch = 0;
  double lr_scale = 1.0;  // product of the train.lr_backoff factors applied so far
  std::int64_t bad_run = 0;  // non-finite steps in a row before this one
  int ranks = 1;             // rng.pt holds one generator per rank of the writing run
  std::uint64_t seed = 0;
  std::string optimizer;  // optim.name
};

// Everything a training checkpoint holds, one file each.
struct Checkpoint {
  CheckpointState state;  // state.json
  TensorMap model;        // model.pt: parameters and buffers by name
  TensorMap ema;          // ema.pt: the EMA shadow, the same names
  TensorMap optimizer;    // optimizer.pt: Optimizer::state()
  // data_order.pt: the current epoch's permutation per task, for inspection
  // (a resume recomputes it from the seed, so reading skips it).
  TensorMap data_order;
  TensorMap rng;  // rng.pt: "rank<r>" -> that rank's default CPU generator state
};

// Writes every file of `c` into `dir`, state.json last.
void write_checkpoint(const std::string& dir, const Checkpoint& c);
// Reads a checkpoint directory (all but data_order.pt). InputError naming the
// directory when it is not one.
Checkpoint read_checkpoint(const std::string& dir);

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, int keep);

  // Creates a temporary directory, lets `write` fill it, renames it to
  // chk<step> (replacing an older one of the same step), prunes to `keep`.
  // Returns the final path. Call on the writing rank only.
  std::string write(std::int64_t step, const std::function<void(const std::string& tmp_dir)>& write);
  // Steps of the valid checkpoints, ascending.
  std::vector<std::int64_t> steps() const;
  std::optional<std::string> newest() const;
  std::string path(std::int64_t step) const;
  // Removes temporary directories left by killed runs.
  void remove_stale_temporaries() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int keep_;
};

}  // namespace flex::train
