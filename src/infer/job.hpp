// What super-resolution and forecasting share once the input file is open:
// the network and sampler, the tiling of the full-resolution field, the
// selected snapshots and the shape of the output files.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "flex/data/transforms.hpp"
#include "flex/decomp/blocks.hpp"
#include "flex/decomp/tiling.hpp"
#include "flex/infer/config.hpp"
#include "flex/infer/outputs.hpp"
#include "flex/infer/sampling.hpp"
#include "flex/io/fields.hpp"

namespace flex::infer {

struct Job {
  io::FieldReader reader;
  std::vector<std::int64_t> channels;  // infer.channel resolved: the input's channels the network sees, in order
  at::Tensor norm_mean, norm_std;      // [C, 1, 1], per channel
  Sampling sampling;
  decomp::Tiling tiling;
  std::vector<std::int64_t> snapshots;  // sr: config.snapshots resolved against the input; fc: empty
  OutputSpec out;
};

// Opens config.input and checks it against the config (errors name the key),
// and its snapshots for NaN/Inf (require_finite_input), before loading the
// network for `task`; logs the one set-up line. Collective.
Job open_job(const InferConfig& config, Task task, c10::Device device, MPI_Comm comm);

// run.check_finite: InputError naming infer.input, the snapshot and the pixel
// of the first NaN/Inf in what the task reads of `channels` (sr:
// `snapshots`; fc: start - horizon, start and the truth of every lead the file
// holds). Collective; open_job calls it before the network is loaded.
void require_finite_input(const InferConfig& config, Task task, const io::FieldReader& reader,
                          const std::vector<std::int64_t>& channels, const std::vector<std::int64_t>& snapshots,
                          MPI_Comm comm);

// Channel `channel` of snapshot `n`, as stored: [H, W] float32.
at::Tensor read_plane(const io::FieldReader& reader, long n, long channel);
// Channels `channels` of entry `n` of `reader`, as stored: [C, H, W].
at::Tensor read_channels(const io::FieldReader& reader, long n, const std::vector<std::int64_t>& channels);
// Channels `channels` of entry n over a window of the stored field: rows
// (rows.begin + k) mod (h / stride), k < rows.count, of the samples taken
// every `stride` stored rows (stride f: the low-res samples i*f of a
// high-res field, data::subsample's), columns alike: [C, rows.count,
// cols.count]. Collective: every rank reads four boxes per channel (a window
// wraps at most once per axis; empty boxes where it does not).
at::Tensor read_window(const io::FieldReader& reader, long n, const std::vector<std::int64_t>& channels,
                       data::LowResWindow rows, data::LowResWindow cols, long stride);
// Channels `channels` of entry n over block b of the stored field: [C, rows, cols]. Collective.
at::Tensor read_block(const io::FieldReader& reader, long n, const std::vector<std::int64_t>& channels,
                      const decomp::Rect& b);
// Fields [..., C, H, W] in the file's units as the network sees them,
// (x - norm_mean) / norm_std, and back.
at::Tensor normalised(const Job& job, const at::Tensor& fields);
at::Tensor in_field_units(const Job& job, const at::Tensor& normalised);

// The block decomposition of job.tiling over comm's ranks
// (infer.decomposition: auto or a grid whose product is the rank count,
// checked), logged once. Collective.
std::unique_ptr<decomp::BlockDecomposition> block_decomposition(const InferConfig& config, const Job& job,
                                                                MPI_Comm comm);

// The tiling the outputs were stitched on, as attributes `patch`, `halo` and
// `boundary` of every output file (flex analyze's seam metric reads them).
// Collective.
void record_tiling(InferenceOutputs& out, const decomp::Tiling& tiling);

// After the field files are closed: the resolved deck beside them (rank 0)
// and the closing log line.
void finish(const InferConfig& config, const OutputSpec& out, MPI_Comm comm);

// `flex infer` with infer.task = fc: rollout() from snapshots start - horizon
// and start, scored against the truth and persistence where it exists.
void forecast_file(const InferConfig& config, c10::Device device, MPI_Comm comm);

}  // namespace flex::infer
