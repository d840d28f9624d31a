// Whole test fields to and from the block decomposition: a rank's block and
// reach of a field every rank holds, and a whole field from every rank's
// block (an all-reduce of zero-padded copies: fine for a test's small fields).
#pragma once

#include <mpi.h>
#include <torch/torch.h>

#include <vector>

#include "flex/decomp/blocks.hpp"

namespace flex::infer::testing {

// whole [..., H, W] -> this rank's block [..., h, w].
inline at::Tensor block_of(const at::Tensor& whole, const decomp::BlockDecomposition& d) {
  const auto b = d.block(d.rank());
  return whole.narrow(-2, b.rows.begin, b.rows.size()).narrow(-1, b.cols.begin, b.cols.size()).contiguous();
}

// whole [..., H, W] -> this rank's reach, wrapped or mirrored as Tiling::extract reads it.
inline at::Tensor reach_of(const at::Tensor& whole, const decomp::BlockDecomposition& d) {
  const auto g = d.reach(d.rank());
  std::vector<std::int64_t> rows, cols;
  for (long u = g.rows.begin; u < g.rows.end; ++u) rows.push_back(d.tiling().field_row(u));
  for (long u = g.cols.begin; u < g.cols.end; ++u) cols.push_back(d.tiling().field_col(u));
  return whole.index_select(-2, torch::tensor(rows, torch::kLong))
      .index_select(-1, torch::tensor(cols, torch::kLong))
      .contiguous();
}

// Every rank's block [..., h, w] -> the whole field [..., H, W] on every rank.
inline at::Tensor whole_of(const at::Tensor& block, const decomp::BlockDecomposition& d) {
  const auto& s = d.tiling().spec();
  auto sizes = block.sizes().vec();
  sizes[sizes.size() - 2] = s.height, sizes[sizes.size() - 1] = s.width;
  auto whole = torch::zeros(sizes, torch::kDouble);
  const auto b = d.block(d.rank());
  whole.narrow(-2, b.rows.begin, b.rows.size()).narrow(-1, b.cols.begin, b.cols.size()).copy_(block);
  MPI_Allreduce(MPI_IN_PLACE, whole.data_ptr<double>(), static_cast<int>(whole.numel()), MPI_DOUBLE, MPI_SUM,
                d.comm());
  return whole.to(torch::kFloat32);
}

}  // namespace flex::infer::testing
