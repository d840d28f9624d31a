// Whole-field inference on the block decomposition: with a known patch
// predictor the stitched members, mean and spread are exact, for any rank
// count, grid and batch.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "blocks.hpp"
#include "flex/infer/field_inference.hpp"

using namespace flex;
using infer::testing::reach_of;
using infer::testing::whole_of;

namespace {

// Member k returns (k + 1) * input + base (the input's first C channels, C
// those of the base) + id-dependent nothing: exactness checks.
infer::PatchPredictor scaled_members(std::int64_t members, std::vector<std::int64_t>* seen_ids = nullptr) {
  return [=](const at::Tensor& input, const at::Tensor& base, const std::vector<std::int64_t>& ids) {
    if (seen_ids) seen_ids->insert(seen_ids->end(), ids.begin(), ids.end());
    std::vector<at::Tensor> out;
    for (std::int64_t k = 0; k < members; ++k) out.push_back(input.narrow(1, 0, base.size(1)) * double(k + 1) + base);
    return torch::stack(out);
  };
}

// The whole-field members, mean and std of predict_block on every grid shape.
std::vector<infer::FieldPrediction> on_every_grid(const at::Tensor& input, const at::Tensor& base,
                                                  const decomp::Tiling& tiling, const infer::PatchPredictor& predict,
                                                  std::int64_t batch, std::int64_t id_offset = 0) {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  std::vector<infer::FieldPrediction> out;
  for (int rows = 1; rows <= n; ++rows) {
    if (n % rows) continue;
    decomp::BlockDecomposition d(tiling, MPI_COMM_WORLD, {rows, n / rows});
    const auto p = infer::predict_block(reach_of(input, d), reach_of(base, d), d, predict, batch, id_offset);
    out.push_back({whole_of(p.members, d), whole_of(p.mean, d), whole_of(p.std, d)});
  }
  return out;
}

}  // namespace

TEST(FieldInference, StitchedMembersMeanAndStdAreExact) {
  torch::manual_seed(3);
  const auto input = torch::randn({2, 70, 90});
  const auto base = torch::randn({1, 70, 90});
  for (long halo : {0L, 4L}) {
    for (std::int64_t batch : {1, 5}) {
      decomp::Tiling tiling({70, 90, 32, halo, decomp::Boundary::Periodic});
      for (const auto& got : on_every_grid(input, base, tiling, scaled_members(3), batch)) {
        ASSERT_EQ(got.members.sizes(), (std::vector<std::int64_t>{3, 1, 70, 90}));
        for (int k = 0; k < 3; ++k)
          EXPECT_TRUE(torch::allclose(got.members[k][0], input[0] * double(k + 1) + base[0], 1e-5, 1e-5));
        EXPECT_TRUE(torch::allclose(got.mean[0], input[0] * 2.0 + base[0], 1e-5, 1e-5));
        EXPECT_TRUE(torch::allclose(got.std[0], input[0].abs(), 1e-4, 1e-4));
      }
    }
  }
}

// Several channels are stitched each on its own, in order.
TEST(FieldInference, EveryChannelIsStitchedOnItsOwn) {
  torch::manual_seed(4);
  const auto input = torch::randn({3, 40, 56});
  const auto base = torch::randn({2, 40, 56});
  decomp::Tiling tiling({40, 56, 16, 3, decomp::Boundaries{decomp::Boundary::Reflect, decomp::Boundary::Periodic}});
  for (const auto& got : on_every_grid(input, base, tiling, scaled_members(2), 4)) {
    ASSERT_EQ(got.members.sizes(), (std::vector<std::int64_t>{2, 2, 40, 56}));
    const auto expected = input.narrow(0, 0, 2) * 1.5 + base;
    EXPECT_TRUE(torch::allclose(got.mean, expected, 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(got.members[1], input.narrow(0, 0, 2) * 2.0 + base, 1e-5, 1e-5));
  }
}

TEST(FieldInference, EachPatchRunsOnceWithGlobalIds) {
  decomp::Tiling tiling({64, 64, 32, 8, decomp::Boundary::Reflect});
  std::vector<std::int64_t> seen;
  const auto field = torch::randn({1, 64, 64});
  decomp::BlockDecomposition d(tiling, MPI_COMM_WORLD);
  infer::predict_block(reach_of(field, d), reach_of(field, d), d, scaled_members(1, &seen), 2, 1000);
  // Every rank saw a disjoint share; together they cover the tiling once.
  int n = static_cast<int>(seen.size()), total = 0;
  MPI_Allreduce(&n, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(total, tiling.count());
  for (auto id : seen) {
    EXPECT_GE(id, 1000);
    EXPECT_LT(id, 1000 + tiling.count());
  }
}
