// Whole-field inference over patches on the block decomposition
// (decomp/blocks.hpp): each rank samples the patches of its block from its
// reach and ends with its block, the overlaps exchanged with the neighbours
// only. Results do not depend on the rank count: patch noise is keyed by
// global patch id.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "flex/decomp/blocks.hpp"

namespace flex::infer {

// (input patches [B, Ci, P, P], base patches [B, C, P, P], global patch ids)
// -> sampled fields [K, B, C, P, P] (K ensemble members, C channels).
using PatchPredictor = std::function<at::Tensor(const at::Tensor& input, const at::Tensor& base,
                                                const std::vector<std::int64_t>& patch_ids)>;

struct FieldPrediction {
  at::Tensor members;  // [K, C, h, w] stitched members on this rank's block
  at::Tensor mean;     // [C, h, w] ensemble mean (the prediction)
  at::Tensor std;      // [C, h, w] per-pixel spread (zeros for one member)
};

// input [Ci, ., .] and base [C, ., .] over this rank's reach (unwrapped,
// outside the field as Tiling::extract reads it), CPU float32; this rank's
// patches go through `predict` `batch` at a time (ids id_offset + patch
// index). Returns this rank's block; bytes_sent, when given, adds what this
// rank sent its neighbours. Collective over d.comm().
FieldPrediction predict_block(const at::Tensor& input, const at::Tensor& base, const decomp::BlockDecomposition& d,
                              const PatchPredictor& predict, std::int64_t batch, std::int64_t id_offset,
                              std::uint64_t* bytes_sent = nullptr);

}  // namespace flex::infer
