#include "flex/infer/field_inference.hpp"

#include <torch/torch.h>

#include <memory>

#include "flex/core/error.hpp"
#include "flex/core/profiler.hpp"
#include "flex/diffusion/sampler.hpp"

namespace flex::infer {

namespace {

// Patches ids[i] of a [C, reach rows, reach cols] tensor over rank's reach.
at::Tensor gather_reach_patches(const at::Tensor& reach_field, const decomp::BlockDecomposition& d,
                                const std::vector<std::int64_t>& ids) {
  const auto g = d.reach(d.rank());
  const auto P = d.tiling().spec().patch;
  std::vector<at::Tensor> out;
  for (const auto id : ids) {
    const auto p = d.tiling().patch(id);
    out.push_back(reach_field.narrow(1, p.row0 - g.rows.begin, P).narrow(2, p.col0 - g.cols.begin, P));
  }
  return torch::stack(out).contiguous();
}

// This rank's patches, `batch` at a time, in order.
std::vector<std::vector<std::int64_t>> batches_of(const decomp::BlockDecomposition& d, std::int64_t batch) {
  const auto mine = d.patches(d.rank());
  std::vector<std::vector<std::int64_t>> out;
  for (size_t first = 0; first < mine.size(); first += static_cast<size_t>(batch)) {
    const size_t last = std::min(first + static_cast<size_t>(batch), mine.size());
    out.emplace_back(mine.begin() + static_cast<long>(first), mine.begin() + static_cast<long>(last));
  }
  return out;
}

// Members [K, B, C, P, P] of patches ids into planes k * C + c.
void add_members(decomp::BlockStitcher& stitcher, const std::vector<std::int64_t>& ids, const at::Tensor& s) {
  FLEX_PROFILE("infer::stitch");
  for (std::int64_t i = 0; i < s.size(1); ++i)
    for (std::int64_t k = 0; k < s.size(0); ++k)
      for (std::int64_t c = 0; c < s.size(2); ++c)
        stitcher.add(ids[static_cast<size_t>(i)], k * s.size(2) + c, s[k][i][c].data_ptr<float>());
}

// The reduced planes of `stitcher` as this rank's block [K, C, h, w].
at::Tensor stitched_block(decomp::BlockStitcher& stitcher, const decomp::BlockDecomposition& d, std::int64_t members,
                          std::int64_t C, std::uint64_t* bytes_sent) {
  FLEX_PROFILE("infer::exchange");
  const auto b = d.block(d.rank());
  stitcher.reduce();
  if (bytes_sent) *bytes_sent += stitcher.bytes_sent();
  auto out = torch::empty({members, C, b.rows.size(), b.cols.size()}, torch::kFloat32);
  for (std::int64_t k = 0; k < members; ++k)
    for (std::int64_t c = 0; c < C; ++c) {
      const auto plane = stitcher.result(k * C + c);
      std::copy(plane.begin(), plane.end(), out[k][c].data_ptr<float>());
    }
  return out;
}

FieldPrediction with_stats(at::Tensor members) {
  FieldPrediction out;
  out.mean = members.mean(0);
  out.std = members.size(0) > 1 ? members.std(0, /*unbiased=*/true) : torch::zeros_like(out.mean);
  out.members = std::move(members);
  return out;
}

void check_reach(const at::Tensor& input, const at::Tensor& base, const decomp::BlockDecomposition& d) {
  const auto g = d.reach(d.rank());
  FLEX_CHECK(input.dim() == 3 && input.size(1) == g.rows.size() && input.size(2) == g.cols.size(),
             "input must be [C, " << g.rows.size() << ", " << g.cols.size() << "] (the reach), got " << input.sizes());
  FLEX_CHECK(base.dim() == 3 && base.size(1) == g.rows.size() && base.size(2) == g.cols.size(),
             "base must be [C, " << g.rows.size() << ", " << g.cols.size() << "] (the reach), got " << base.sizes());
}

// Member k's starting noise on this rank's block [K, C, h, w]: each core its
// own draw, so the noise field is the same however the field is split.
at::Tensor block_noise(const decomp::BlockDecomposition& d, const FusedPredictor& f, std::int64_t C,
                       std::int64_t id_offset) {
  const auto& t = d.tiling();
  const auto b = d.block(d.rank());
  auto z = torch::empty({f.members, C, b.rows.size(), b.cols.size()}, torch::kFloat32);
  for (const auto index : d.patches(d.rank())) {
    const long i = index / t.cols(), j = index % t.cols();
    const long r0 = t.core_row(i), c0 = t.core_col(j);
    const long rows = t.core_row(i + 1) - r0, cols = t.core_col(j + 1) - c0;
    for (std::int64_t k = 0; k < f.members; ++k)
      z[k].narrow(1, r0 - b.rows.begin, rows)
          .narrow(2, c0 - b.cols.begin, cols)
          .copy_(diffusion::ensemble_noise({C, rows, cols}, f.seed, k, {id_offset + index}, torch::kFloat32)[0]);
  }
  return z;
}

}  // namespace

FieldPrediction predict_block(const at::Tensor& input, const at::Tensor& base, const decomp::BlockDecomposition& d,
                              const PatchPredictor& predict, std::int64_t batch, std::int64_t id_offset,
                              std::uint64_t* bytes_sent) {
  FLEX_PROFILE("infer::predict_block");
  check_reach(input, base, d);
  const std::int64_t C = base.size(0);
  // Each batch is stitched as it comes (no rank holds its sampled patches):
  // the stitcher is made once the first batch tells K.
  std::unique_ptr<decomp::BlockStitcher> stitcher;
  std::int64_t members = -1;
  for (const auto& ids : batches_of(d, batch)) {
    std::vector<std::int64_t> global_ids;
    for (const auto i : ids) global_ids.push_back(id_offset + i);
    at::Tensor s;
    {
      FLEX_PROFILE("infer::network");
      s = predict(gather_reach_patches(input, d, ids), gather_reach_patches(base, d, ids), global_ids)
              .to(torch::kCPU, torch::kFloat32)
              .contiguous();
    }
    FLEX_CHECK(s.dim() == 5 && s.size(1) == static_cast<std::int64_t>(ids.size()) && s.size(2) == C &&
                   (members < 0 || s.size(0) == members),
               "patch predictor must return [K, B, " << C << ", P, P] with the same K, got " << s.sizes());
    members = s.size(0);
    if (!stitcher) stitcher = std::make_unique<decomp::BlockStitcher>(d, members * C);
    add_members(*stitcher, ids, s);
  }
  // A rank without patches learns K from the others.
  std::int64_t agreed = members;
  FLEX_CHECK_MPI(MPI_Allreduce(&members, &agreed, 1, MPI_INT64_T, MPI_MAX, d.comm()));
  FLEX_CHECK(members < 0 || members == agreed, "ranks disagree on the ensemble size");
  if (!stitcher) stitcher = std::make_unique<decomp::BlockStitcher>(d, agreed * C);

  return with_stats(stitched_block(*stitcher, d, agreed, C, bytes_sent));
}

FieldPrediction predict_block_fused(const at::Tensor& input, const at::Tensor& base,
                                    const decomp::BlockDecomposition& d, const FusedPredictor& f, std::int64_t batch,
                                    std::int64_t id_offset, std::uint64_t* bytes_sent) {
  FLEX_PROFILE("infer::predict_block_fused");
  check_reach(input, base, d);
  FLEX_CHECK(f.steps >= 1 && f.members >= 1, "fused sampling: " << f.steps << " steps, " << f.members << " members");
  const std::int64_t C = base.size(0), K = f.members, P = d.tiling().spec().patch;
  const auto g = d.reach(d.rank());
  const auto batches = batches_of(d, batch);
  // The batches whose preparation is kept (the first ones, while they fit).
  std::vector<PreparedBatch> kept(batches.size());
  std::int64_t held = 0;
  const auto prepared = [&](size_t b) {
    if (kept[b].step) return kept[b];
    PreparedBatch p;
    {
      FLEX_PROFILE("infer::network");
      p = f.prepare(gather_reach_patches(input, d, batches[b]), gather_reach_patches(base, d, batches[b]));
    }
    if (f.steps > 1 && held + p.held_bytes <= f.keep_bytes) kept[b] = p, held += p.held_bytes;
    return p;
  };
  at::Tensor z = block_noise(d, f, C, id_offset);
  for (std::int64_t n = f.steps; n >= 1; --n) {
    at::Tensor reach;
    std::vector<float> filled;
    {
      FLEX_PROFILE("infer::exchange");
      filled = decomp::fill_regions(d, z.data_ptr<float>(), K * C, [&](int r) { return d.reach(r); }, bytes_sent);
      reach = torch::from_blob(filled.data(), {K * C, g.rows.size(), g.cols.size()}, torch::kFloat32);
      z = at::Tensor();  // its reach holds it now: one copy of the state at a time, not two
    }
    decomp::BlockStitcher stitcher(d, K * C);
    for (size_t b = 0; b < batches.size(); ++b) {
      const auto& ids = batches[b];
      const auto B = static_cast<std::int64_t>(ids.size());
      const auto states = gather_reach_patches(reach, d, ids)  // [B, K*C, P, P] -> member-major [K*B, C, P, P]
                              .view({B, K, C, P, P})
                              .transpose(0, 1)
                              .reshape({K * B, C, P, P});
      const auto step = prepared(b).step;
      at::Tensor s;
      {
        FLEX_PROFILE("infer::network");
        s = step(states, n).to(torch::kCPU, torch::kFloat32).contiguous();
      }
      FLEX_CHECK(s.sizes() == states.sizes(), "fused step must return " << states.sizes() << ", got " << s.sizes());
      add_members(stitcher, ids, s.view({K, B, C, P, P}));
    }
    reach = at::Tensor();
    std::vector<float>().swap(filled);  // before the blended block is allocated
    z = stitched_block(stitcher, d, K, C, bytes_sent);
  }
  return with_stats(std::move(z));
}

BlockPredictor stitched_once(const decomp::BlockDecomposition& d, PatchPredictor predict, std::int64_t batch) {
  return [&d, predict = std::move(predict), batch](const at::Tensor& input, const at::Tensor& base,
                                                   std::int64_t id_offset) {
    return predict_block(input, base, d, predict, batch, id_offset);
  };
}

BlockPredictor fused_every_step(const decomp::BlockDecomposition& d, FusedPredictor predict, std::int64_t batch) {
  return [&d, predict = std::move(predict), batch](const at::Tensor& input, const at::Tensor& base,
                                                   std::int64_t id_offset) {
    return predict_block_fused(input, base, d, predict, batch, id_offset);
  };
}

}  // namespace flex::infer
