// Whole-field inference over patches: each rank runs the network on its
// share of the tiling, the stitcher blends the overlapping halos, and an
// all-reduce joins the ranks, so every rank ends with the full field (the
// next rollout step and the row-slab writes need it). Results do not depend
// on the rank count: patch noise is keyed by global patch id.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "flex/decomp/tiling.hpp"

namespace flex::infer {

// (input patches [B, Ci, P, P], base patches [B, C, P, P], global patch ids)
// -> sampled fields [K, B, C, P, P] (K ensemble members, C channels).
using PatchPredictor = std::function<at::Tensor(const at::Tensor& input, const at::Tensor& base,
                                                const std::vector<std::int64_t>& patch_ids)>;

struct FieldPrediction {
  at::Tensor members;  // [K, C, H, W] stitched members
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

}  // namespace flex::infer
