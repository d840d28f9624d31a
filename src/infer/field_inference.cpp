#include "flex/infer/field_inference.hpp"

#include <torch/torch.h>

#include <memory>

#include "flex/core/error.hpp"
#include "flex/core/profiler.hpp"

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

}  // namespace

FieldPrediction predict_block(const at::Tensor& input, const at::Tensor& base, const decomp::BlockDecomposition& d,
                              const PatchPredictor& predict, std::int64_t batch, std::int64_t id_offset,
                              std::uint64_t* bytes_sent) {
  FLEX_PROFILE("infer::predict_block");
  const auto g = d.reach(d.rank());
  const auto b = d.block(d.rank());
  FLEX_CHECK(input.dim() == 3 && input.size(1) == g.rows.size() && input.size(2) == g.cols.size(),
             "input must be [C, " << g.rows.size() << ", " << g.cols.size() << "] (the reach), got " << input.sizes());
  FLEX_CHECK(base.dim() == 3 && base.size(1) == g.rows.size() && base.size(2) == g.cols.size(),
             "base must be [C, " << g.rows.size() << ", " << g.cols.size() << "] (the reach), got " << base.sizes());
  const std::int64_t C = base.size(0);
  const auto mine = d.patches(d.rank());
  // Each batch is stitched as it comes (no rank holds its sampled patches):
  // the stitcher is made once the first batch tells K.
  std::unique_ptr<decomp::BlockStitcher> stitcher;
  std::int64_t members = -1;
  for (size_t first = 0; first < mine.size(); first += static_cast<size_t>(batch)) {
    const size_t last = std::min(first + static_cast<size_t>(batch), mine.size());
    std::vector<std::int64_t> ids(mine.begin() + static_cast<long>(first), mine.begin() + static_cast<long>(last));
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
    FLEX_PROFILE("infer::stitch");
    for (std::int64_t i = 0; i < s.size(1); ++i)
      for (std::int64_t k = 0; k < members; ++k)
        for (std::int64_t c = 0; c < C; ++c)
          stitcher->add(ids[static_cast<size_t>(i)], k * C + c, s[k][i][c].data_ptr<float>());
  }
  // A rank without patches learns K from the others.
  std::int64_t agreed = members;
  FLEX_CHECK_MPI(MPI_Allreduce(&members, &agreed, 1, MPI_INT64_T, MPI_MAX, d.comm()));
  FLEX_CHECK(members < 0 || members == agreed, "ranks disagree on the ensemble size");
  if (!stitcher) stitcher = std::make_unique<decomp::BlockStitcher>(d, agreed * C);

  FieldPrediction out;
  {
    FLEX_PROFILE("infer::exchange");
    stitcher->reduce();
    if (bytes_sent) *bytes_sent += stitcher->bytes_sent();
    out.members = torch::empty({agreed, C, b.rows.size(), b.cols.size()}, torch::kFloat32);
    for (std::int64_t k = 0; k < agreed; ++k)
      for (std::int64_t c = 0; c < C; ++c) {
        const auto plane = stitcher->result(k * C + c);
        std::copy(plane.begin(), plane.end(), out.members[k][c].data_ptr<float>());
      }
  }
  out.mean = out.members.mean(0);
  out.std = agreed > 1 ? out.members.std(0, /*unbiased=*/true) : torch::zeros_like(out.mean);
  return out;
}

}  // namespace flex::infer
