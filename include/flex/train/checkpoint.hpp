// Training checkpoints as numbered directories, AMReX style:
//   <dir>/chk<step, 8 digits>/{state.json, model.pt, ema.pt, optimizer.pt, data_order.pt, rng.pt}
// Written by rank 0 into a hidden temporary directory that is renamed into
// place when complete, so a chk directory is either whole or absent; the
// newest M are kept. A directory counts as valid when its state.json exists
// (written last). What the files hold is `Checkpoint`.
//
// Every file is serialised in memory first and written with a checked
// stream: LibTorch's file writer reports a full disk by throwing from a
// destructor (std::terminate), and a half-written file must never look whole.
// state.json records the size and FNV-1a hash of each .pt file, so a resume
// refuses a truncated or damaged checkpoint by name instead of training on it.
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
std::string encode_tensors(const TensorMap& tensors);
// InputError "<path>: not a readable LibTorch archive ..." for anything LibTorch cannot read.
TensorMap decode_tensors(const std::string& bytes, const std::string& path);
void save_tensors(const std::string& path, const TensorMap& tensors);
TensorMap load_tensors(const std::string& path);

// Writes `bytes` to `path` (replacing it), flushed and checked; on failure
// removes the partial file and throws an InputError naming it, `what` it is
// ("the checkpoint") and the free space left in its directory.
void write_file_checked(const std::string& path, const std::string& bytes, const std::string& what);
// The whole file; InputError naming it when it is missing or unreadable.
std::string read_file(const std::string& path);

// FNV-1a 64-bit hash as 16 lower-case hex digits.
std::string fnv1a64(const std::string& bytes);

std::string checkpoint_name(std::int64_t step);  // "chk00000100"

// Size and hash of one file as state.json records them.
struct FileRecord {
  std::uint64_t bytes = 0;
  std::string fnv1a64;
};

// state.json: the loop's scalars, and what the checkpoint was trained as.
struct CheckpointState {
  std::int64_t step = 0;  // global steps done
  std::int64_t epoch = 0;
  std::int64_t steps_per_epoch = 0;
  double lr_scale = 1.0;  // product of the train.lr_backoff factors applied so far
  std::int64_t bad_run = 0;  // non-finite steps in a row before this one
  int ranks = 1;             // rng.pt holds one generator per rank of the writing run
  std::uint64_t seed = 0;
  std::string optimizer;  // optim.name
  double loss_scale = 0;  // fp16 dynamic loss scale (0: none, not fp16)
  std::int64_t loss_scale_good_steps = 0;  // finite updates since the scale last changed
  // model.*, unet.*, uvit.* keys the network was built with (empty: not recorded).
  std::map<std::string, std::string> model;
  // Read back: which of seed / optimizer state.json holds (earlier versions may lack them).
  bool has_seed = true;
  // Read back: the .pt files state.json lists (empty: an earlier version's
  // checkpoint, whose files cannot be verified). Ignored when writing: the
  // writer records what it wrote.
  std::map<std::string, FileRecord> files;
};

// Everything a training checkpoint holds, one file each.
struct Checkpoint {
  CheckpointState state;  // state.json
  TensorMap model;        // model.pt: parameters and buffers by name
  TensorMap ema;          // ema.pt: the EMA shadow, the same names
  TensorMap optimizer;    // optimizer.pt: Optimizer::state()
  // data_order.pt: the current epoch's permutation per task, for inspection
  // (a resume recomputes it from the seed; reading only verifies it).
  TensorMap data_order;
  TensorMap rng;  // rng.pt: "rank<r>" -> that rank's default CPU generator state
};

// Writes every file of `c` into `dir`, state.json last (with the size and
// hash of each .pt file).
void write_checkpoint(const std::string& dir, const Checkpoint& c);
// Reads a checkpoint directory and checks it: the scalars of state.json are
// in range and consistent, every file it lists has the recorded size and
// hash, every archive is readable. InputError naming the directory or the
// file otherwise.
Checkpoint read_checkpoint(const std::string& dir);

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, int keep);

  // Creates a temporary directory, lets `write` fill it, renames it to
  // chk<step> (replacing an older one of the same step), prunes to `keep`.
  // Returns the final path. If anything fails, the temporary directory is
  // removed and the existing checkpoints are left as they were. Call on the
  // writing rank only.
  std::string write(std::int64_t step, const std::function<void(const std::string& tmp_dir)>& write);
  // Steps of the valid checkpoints, ascending.
  std::vector<std::int64_t> steps() const;
  std::optional<std::string> newest() const;
  std::string path(std::int64_t step) const;
  // Every chkNNNNNNNN directory, valid or not (the evidence of a run).
  std::vector<std::string> all_directories() const;
  // Removes temporary directories left by killed runs.
  void remove_stale_temporaries() const;
  // Removes every entry of the directory (another run's checkpoints, replaced
  // under run.overwrite = true); returns how many.
  std::size_t clear() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int keep_;
};

}  // namespace flex::train
