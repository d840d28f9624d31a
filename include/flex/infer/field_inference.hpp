// Whole-field inference over patches. predict_block: each rank samples the
// patches of its block (decomp/blocks.hpp) from its reach and ends with its
// block, the overlaps exchanged with the neighbours only (super-resolution).
// predict_field: each rank runs its share of the tiling and an all-reduce
// joins whole-field buffers, so every rank ends with the full field (the
// forecast rollout, until it is decomposed too). Results do not depend on the
// rank count: patch noise is keyed by global patch id.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "flex/decomp/blocks.hpp"
#include "flex/decomp/tiling.hpp"

namespace flex::infer {

// (input patches [B, Ci, P, P], base patches [B, C, P, P], global patch ids)
// -> sampled fields [K, B, C, P, P] (K ensemble members, C channels).
using PatchPredictor = std::function<at::Tensor(const at::Tensor& input, const at::Tensor& base,
                                                const std::vector<std::int64_t>& patch_ids)>;

struct FieldPrediction {
  at::Tensor members;  // [K, C, H, W] stitched members (predict_block: H x W of the block)
  at::Tensor mean;     // [C, H, W] ensemble mean (the prediction)
  at::Tensor std;      // [C, H, W] per-pixel spread (zeros for one member)
};

// Cuts a [C, H, W] field into the tiling's patches ids[i] -> [B, C, P, P].
at::Tensor gather_patches(const at::Tensor& field, const decomp::Tiling& tiling, const std::vector<std::int64_t>& ids);

// input [Ci, H, W] and base [C, H, W] on the CPU (float32); patches go through
// `predict` `batch` at a time; `id_offset` makes patch ids globally unique
// across snapshots/steps (id = id_offset + patch index).
FieldPrediction predict_field(const at::Tensor& input, const at::Tensor& base, const decomp::Tiling& tiling,
                              const PatchPredictor& predict, std::int64_t batch, std::int64_t id_offset,
                              MPI_Comm comm);

// input [Ci, ., .] and base [C, ., .] over this rank's reach (unwrapped,
// outside the field as Tiling::extract reads it), CPU float32; this rank's
// patches go through `predict` `batch` at a time (ids id_offset + patch
// index). Returns this rank's block; bytes_sent, when given, adds what this
// rank sent its neighbours. Collective over d.comm().
FieldPrediction predict_block(const at::Tensor& input, const at::Tensor& base, const decomp::BlockDecomposition& d,
                              const PatchPredictor& predict, std::int64_t batch, std::int64_t id_offset,
                              std::uint64_t* bytes_sent = nullptr);

}  // namespace flex::infer
