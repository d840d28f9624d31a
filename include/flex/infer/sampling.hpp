// A checkpoint (FLEX or a baseline backbone) turned into the patch predictor
// of field_inference.hpp, and the super-resolution of one whole field.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <vector>

#include "flex/diffusion/sampler.hpp"
#include "flex/infer/config.hpp"
#include "flex/infer/field_inference.hpp"
#include "flex/io/layout.hpp"
#include "flex/model/backbone.hpp"

namespace flex::io {
class FieldReader;
}

namespace flex::infer {

struct InferConfig;

struct Sampling {
  model::BackboneConfig config;    // model.backbone and its keys
  model::Backbone net;             // eval mode, on `device`
  c10::Device device{c10::kCPU};
  diffusion::SamplerOptions sampler;
  std::vector<float> cond;         // conditioning scalars of every patch
  std::int64_t members = 1;
  std::uint64_t seed = 0;          // run.seed
  model::Precision precision = model::Precision::FP32;  // run.precision of the network's forward
  std::string memory_format = "nchw";  // run.memory_format as settled (auto: measured)
  Fusion fusion = Fusion::Once;        // infer.fusion
  std::int64_t feature_cache_bytes = 0;  // infer.feature_cache_mb: every_step's kept task features per rank
};

// The configured network with config.checkpoint loaded (eval mode, on
// `device`), the sampler, and the conditioning scalars for `reynolds`.
// run.precision and run.memory_format are settled here (auto measured on
// every rank of `comm`, rank 0's choice taken).
Sampling make_sampling(const InferConfig& config, c10::Device device, Task task, double reynolds, MPI_Comm comm);

// config.re, or the `Re` attribute of the input file when it is 0.
double reynolds_of(const InferConfig& config, const io::FieldReader& reader);

// Patches -> `members` sampled members (-1: sampling.members); member k's
// noise is keyed by (seed, member_offset, k, patch id): independent of
// batching and of ranks.
PatchPredictor flex_predictor(const Sampling& sampling, Task task, std::int64_t member_offset,
                              std::int64_t members = -1);

// The every_step counterpart of flex_predictor: the same network,
// conditioning and member seeds; each step runs the members one after the
// other at the patch batch, as flex_predictor does. A batch's task features
// are kept between steps within sampling.feature_cache_bytes.
FusedPredictor fused_predictor(const Sampling& sampling, Task task, std::int64_t member_offset,
                               std::int64_t members = -1);

// sampling.fusion's predictor over d: flex_predictor stitched once, or
// fused_predictor blended at every step; `batch` patches per network call.
BlockPredictor block_predictor(const Sampling& sampling, Task task, const decomp::BlockDecomposition& d,
                               std::int64_t batch, std::int64_t member_offset, std::int64_t members = -1);

}  // namespace flex::infer
