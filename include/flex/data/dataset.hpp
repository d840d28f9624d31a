// Training and validation samples (SPEC §3) over one or more field files.
// SR: the truth patch, the periodic bicubic upsampling of its every-8th-point
// subsampling (computed on a window around the patch, equal to upsampling the
// whole field), residual r = truth - upsampled. FC: frames (t-h, t) -> t+h,
// residual r = x_{t+h} - x_t, with h in raw snapshots of the file (SPEC §3:
// the authors' h = 1 is consecutive snapshots); the split chooses the anchors
// t only, and t-h, t+h are read whatever the split (an anchor without both
// inside the file is dropped).
// Several channels are read at once, in the order SampleConfig::channels
// lists them, each normalised by its own mean and std. Every random choice
// (patch position) is a function of (seed, epoch, sample), never of timing or
// rank count.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flex/core/task.hpp"
#include "flex/data/field_source.hpp"
#include "flex/data/bicubic.hpp"

namespace flex::data {

// Scaling of the Reynolds number into a conditioning scalar: Reference is the
// authors' Re / 40000 (SPEC §3; their checkpoints expect exactly it).
enum class ReScaling { Reference, Log10, Linear };
// Deck words ref | log10 | linear, and back.
ReScaling parse_re_scaling(const std::string& word);
const char* re_scaling_name(ReScaling s);
// The conditioning scalar of a Reynolds number.
double scaled_reynolds(ReScaling s, double reynolds);

struct SampleConfig {
  std::vector<std::int64_t> channels{2};  // channels of the field files, in the network's order (w of (u, v, w))
  std::int64_t patch = 256;   // side of a training patch
  std::int64_t factor = 8;    // SR subsampling factor
  // SR conditioning (data.sr_upsampling): the authors' shifted bicubic, or the aligned one.
  Bicubic sr_upsampling = Bicubic::Conditioning;
  std::int64_t horizon = 1;   // FC step h, in raw snapshots of the file (frames t-h, t -> t+h)
  // Per channel, one value each: (x - norm_mean) / norm_std (SPEC §3: mean 0,
  // std 5.4574137 for vorticity; ERA5: the channel's statistics).
  std::vector<double> norm_mean{0.0};
  std::vector<double> norm_std{5.4574137};
  ReScaling re_scaling = ReScaling::Reference;
  bool cond_step = false;     // append the FC horizon as a conditioning scalar
  bool cond_factor = false;   // append the SR factor as a conditioning scalar
  std::int64_t patches_per_snapshot = 1;  // samples per snapshot and epoch
};

// Conditioning scalars [Re', step', factor'] (the enabled ones, in that order):
// Re' = Re / 40000 (Reference), log10(Re) - 4 (Log10) or Re / 10^4 (Linear); step' = h for FC, 0 for SR;
// factor' = f / 8 for SR, 0 for FC.
std::vector<float> conditioning(const SampleConfig& c, Task task, double reynolds);
std::int64_t conditioning_count(const SampleConfig& c);

// Snapshot indices of a split: "even", "odd", "all", or half-open ranges with
// optional stride "a:b[:s],..." (b may be "end"). Errors name `where`.
std::vector<std::int64_t> select_snapshots(const std::string& spec, std::int64_t n, const std::string& where);

// C = the number of channels.
struct Sample {
  at::Tensor input;     // SR [C, P, P] upsampled field; FC [2C, P, P] frames t-h, t (each frame's channels together)
  at::Tensor base;      // [C, P, P]: what the residual is added to (SR upsampled, FC x_t)
  at::Tensor residual;  // [C, P, P]: the diffusion target
  at::Tensor cond;      // [n_cond]
};

struct Batch {
  Task task = Task::SuperResolution;
  at::Tensor input, base, residual, cond;  // stacked along a new dim 0
  std::vector<std::int64_t> indices;       // dataset indices, for logs and checks
  std::int64_t size() const { return residual.defined() ? residual.size(0) : 0; }
};
Batch collate(Task task, const std::vector<Sample>& samples, std::vector<std::int64_t> indices);

struct SourceEntry {
  std::shared_ptr<const FieldSource> source;
  double reynolds = 0;                    // used for conditioning
  std::vector<std::int64_t> snapshots;    // the split's snapshot list (FC: the anchors t)
};

class Dataset {
 public:
  Dataset(std::vector<SourceEntry> sources, Task task, SampleConfig config);

  Task task() const { return task_; }
  const SampleConfig& config() const { return config_; }
  std::int64_t size() const { return total_; }
  // Sample `index` with its patch position drawn from `patch_seed`.
  Sample get(std::int64_t index, std::uint64_t patch_seed) const;

 private:
  struct Locator {
    std::size_t source;
    std::int64_t snapshot;  // raw snapshot of the file (FC: the anchor t)
  };
  Locator locate(std::int64_t index) const;
  // Top-left corner of the patch `patch_seed` draws in `src`.
  std::pair<std::int64_t, std::int64_t> patch_origin(const FieldSource& src, std::uint64_t patch_seed) const;
  // The selected channels of one window: [C, nrows, ncols].
  at::Tensor read_channels(const FieldSource& src, std::int64_t snapshot, std::int64_t row0, std::int64_t nrows,
                             std::int64_t col0, std::int64_t ncols) const;
  at::Tensor normalise(const at::Tensor& x) const;  // (x - norm_mean) / norm_std, per channel of [C, ...]

  std::vector<SourceEntry> sources_;
  Task task_;
  SampleConfig config_;
  std::vector<std::vector<std::int64_t>> anchors_;  // per source: the snapshots samples are drawn at
  std::vector<std::int64_t> offsets_;  // first index of each source
  std::int64_t total_ = 0;
  at::Tensor mean_, inverse_std_;  // [C, 1, 1]
};

}  // namespace flex::data
