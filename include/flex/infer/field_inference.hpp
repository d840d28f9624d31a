// Whole-field inference over patches on the block decomposition
// (decomp/blocks.hpp): each rank samples the patches of its block from its
// reach and ends with its block, the overlaps exchanged with the neighbours
// only. Results do not depend on the rank count: noise is keyed by global
// patch id. Two fusions (infer.fusion):
//  - once: each patch runs its whole DDIM chain from its own noise; the
//    sampled patches are blended once (predict_block);
//  - every_step (multi-diffusion): the states of all patches are blended
//    after every DDIM step, starting from one noise field (each core draws
//    its own), so neighbours agree on the noisy state (predict_block_fused).
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

// Fused sampling of one batch of patches, its conditioning prepared once (the
// task encoder run): step(states z [K*B, C, P, P] of K members, member-major,
// DDIM step n of N) -> the states at step n - 1, or the sampled fields at n == 1.
struct PreparedBatch {
  std::function<at::Tensor(const at::Tensor& z, std::int64_t n)> step;
  std::int64_t held_bytes = 0;  // what keeping it between steps costs
};
// (input patches [B, Ci, P, P], base patches [B, C, P, P]) -> that batch's step.
using BatchPreparer = std::function<PreparedBatch(const at::Tensor& input, const at::Tensor& base)>;

struct FusedPredictor {
  BatchPreparer prepare;
  std::int64_t steps = 1;    // N
  std::int64_t members = 1;  // K
  // Member k's starting noise over the core of patch id:
  // diffusion::ensemble_noise({C, core rows, core cols}, seed, k, {id}).
  std::uint64_t seed = 0;
  // Prepared batches kept from one step to the next, in batch order, while
  // their held_bytes fit (infer.feature_cache_mb); the others are prepared
  // again at every step. The result is the same either way.
  std::int64_t keep_bytes = 0;
};

// predict_block with the states blended after every step: N exchanges of the
// K x C state strips with the neighbours instead of one. Collective over d.comm().
FieldPrediction predict_block_fused(const at::Tensor& input, const at::Tensor& base,
                                    const decomp::BlockDecomposition& d, const FusedPredictor& predict,
                                    std::int64_t batch, std::int64_t id_offset, std::uint64_t* bytes_sent = nullptr);

// Either fusion behind one call: (input, base over this rank's reach, first
// patch id) -> this rank's block.
using BlockPredictor =
    std::function<FieldPrediction(const at::Tensor& input, const at::Tensor& base, std::int64_t id_offset)>;
BlockPredictor stitched_once(const decomp::BlockDecomposition& d, PatchPredictor predict, std::int64_t batch);
BlockPredictor fused_every_step(const decomp::BlockDecomposition& d, FusedPredictor predict, std::int64_t batch);

}  // namespace flex::infer
