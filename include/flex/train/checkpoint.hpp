// Training checkpoints as numbered directories, AMReX style:
//   <dir>/chk<step, 8 digits>/{state.json, model.pt, ema.pt, optimizer.pt, data_order.pt, rng.pt}
// Written by rank 0 into a hidden temporary directory that is renamed into
// place when complete, so a chk directory is either whole or absent; the
// newest M are kept. A directory counts as valid when its state.json exists
// (written last).
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
