// Whole-field inference on the block decomposition: with a known patch
// predictor the stitched members, mean and spread are exact, for any rank
// count, grid and batch.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "blocks.hpp"
#include "flex/diffusion/sampler.hpp"
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

namespace {

// Fused sampling on every grid of this rank count, and on one rank alone
// (MPI_COMM_SELF): the reference every split must reproduce.
struct FusedRuns {
  std::vector<infer::FieldPrediction> grids;
  infer::FieldPrediction alone;
};
FusedRuns fused_on_every_grid(const at::Tensor& input, const at::Tensor& base, const decomp::Tiling& tiling,
                              const infer::FusedPredictor& predict, std::int64_t batch, std::int64_t id_offset = 0) {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  const auto run = [&](MPI_Comm comm, std::array<int, 2> dims) -> infer::FieldPrediction {
    decomp::BlockDecomposition d(tiling, comm, dims);
    const auto p = infer::predict_block_fused(reach_of(input, d), reach_of(base, d), d, predict, batch, id_offset);
    return {whole_of(p.members, d), whole_of(p.mean, d), whole_of(p.std, d)};
  };
  FusedRuns out;
  for (int rows = 1; rows <= n; ++rows)
    if (n % rows == 0) out.grids.push_back(run(MPI_COMM_WORLD, {rows, n / rows}));
  out.alone = run(MPI_COMM_SELF, {1, 1});
  return out;
}

// Member k's starting noise over the whole field, core by core.
at::Tensor whole_noise(const decomp::Tiling& t, std::int64_t C, const infer::FusedPredictor& f, std::int64_t id_offset) {
  auto z = torch::empty({f.members, C, t.spec().height, t.spec().width});
  for (long i = 0; i < t.rows(); ++i)
    for (long j = 0; j < t.cols(); ++j) {
      const long rows = t.core_row(i + 1) - t.core_row(i), cols = t.core_col(j + 1) - t.core_col(j);
      for (std::int64_t k = 0; k < f.members; ++k)
        z[k].narrow(1, t.core_row(i), rows)
            .narrow(2, t.core_col(j), cols)
            .copy_(diffusion::ensemble_noise({C, rows, cols}, f.seed, k, {id_offset + i * t.cols() + j},
                                             torch::kFloat32)[0]);
    }
  return z;
}

// z_{n-1} = (0.5 + 0.1 n) z + 0.01 n input; the last step adds the base.
infer::FusedPredictor pointwise_steps(std::int64_t steps, std::int64_t members) {
  infer::FusedPredictor f;
  f.steps = steps, f.members = members, f.seed = 99;
  f.prepare = [](const at::Tensor& input, const at::Tensor& base) {
    const auto step = [input, base](const at::Tensor& z, std::int64_t n) {
      const auto K = z.size(0) / input.size(0);
      const auto in = input.narrow(1, 0, base.size(1)).repeat({K, 1, 1, 1});
      const auto next = z * (0.5 + 0.1 * double(n)) + in * (0.01 * double(n));
      return n == 1 ? next + base.repeat({K, 1, 1, 1}) : next;
    };
    return infer::PreparedBatch{step, input.nbytes() + base.nbytes()};
  };
  return f;
}

}  // namespace

// A step that acts on each pixel alone gives, fused, exactly the chain on
// the whole noise field: the patches agree on every state, so blending is
// exact, for any split, halo, boundary and batch.
TEST(FusedInference, APointwiseStepIsTheWholeFieldChain) {
  torch::manual_seed(5);
  const auto input = torch::randn({2, 70, 90}), base = torch::randn({1, 70, 90});
  const auto f = pointwise_steps(3, 2);
  for (const auto boundary : {decomp::Boundary::Periodic, decomp::Boundary::Reflect})
    for (long halo : {0L, 6L}) {
      decomp::Tiling tiling({70, 90, 32, halo, boundary});
      auto expected = whole_noise(tiling, 1, f, 40);
      for (std::int64_t n = f.steps; n >= 1; --n)
        expected = expected * (0.5 + 0.1 * double(n)) + input.narrow(0, 0, 1) * (0.01 * double(n));
      expected = expected + base;
      for (std::int64_t batch : {1, 4}) {
        const auto runs = fused_on_every_grid(input, base, tiling, f, batch, 40);
        for (const auto& got : runs.grids) {
          ASSERT_EQ(got.members.sizes(), (std::vector<std::int64_t>{2, 1, 70, 90}));
          EXPECT_TRUE(torch::allclose(got.members.to(torch::kFloat), expected, 1e-5, 1e-5)) << halo << " " << batch;
          EXPECT_TRUE(torch::allclose(got.mean.to(torch::kFloat), expected.mean(0), 1e-5, 1e-5));
        }
      }
    }
}

// A step that mixes neighbouring pixels inside each patch (a 3x3 blur, zero
// outside the patch) makes patches disagree in their halos: the fused result
// then depends on the blending, and must still be the same for every split
// and batch as on one rank alone. Without overlap it is the once-stitched
// sampling of the same chain (the cores are the patches, their noise the same).
TEST(FusedInference, ANonLocalStepGivesTheSameFieldForEverySplit) {
  torch::manual_seed(6);
  // 72 x 48 in 24² patches: without a halo the cores are the patches.
  const auto input = torch::randn({1, 72, 48}), base = torch::randn({1, 72, 48});
  infer::FusedPredictor f;
  f.steps = 3, f.members = 2, f.seed = 7;
  const auto blur = [](const at::Tensor& z) {
    return torch::avg_pool2d(z, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/true);
  };
  f.prepare = [blur](const at::Tensor& input, const at::Tensor& base) {
    const auto step = [blur, input, base](const at::Tensor& z, std::int64_t n) {
      const auto K = z.size(0) / input.size(0);
      const auto next = blur(z) * 0.9 + input.repeat({K, 1, 1, 1}) * 0.05;
      return n == 1 ? next + base.repeat({K, 1, 1, 1}) : next;
    };
    return infer::PreparedBatch{step, input.nbytes() + base.nbytes()};
  };
  for (long halo : {0L, 5L}) {
    decomp::Tiling tiling({72, 48, 24, halo, decomp::Boundary::Periodic});
    for (std::int64_t batch : {1, 3}) {
      const auto runs = fused_on_every_grid(input, base, tiling, f, batch);
      for (const auto& got : runs.grids)
        EXPECT_TRUE(torch::allclose(got.members, runs.alone.members, 1e-6, 1e-6)) << halo << " " << batch;
      if (halo != 0) continue;
      // Fusion once: each patch runs the chain from its own noise (the core's).
      const infer::PatchPredictor once = [&](const at::Tensor& in, const at::Tensor& b,
                                             const std::vector<std::int64_t>& ids) {
        std::vector<at::Tensor> members;
        const auto prepared = f.prepare(in, b);
        for (std::int64_t k = 0; k < f.members; ++k) {
          auto z = diffusion::ensemble_noise({1, 24, 24}, f.seed, k, ids, torch::kFloat32);
          for (std::int64_t n = f.steps; n >= 1; --n) z = prepared.step(z, n);
          members.push_back(z);
        }
        return torch::stack(members);
      };
      for (const auto& got : on_every_grid(input, base, tiling, once, batch))
        EXPECT_TRUE(torch::allclose(got.members, runs.alone.members, 1e-6, 1e-6)) << batch;
    }
  }
}

// Keeping prepared batches (the task encoder's features) between steps
// changes how often the preparer runs, never the field: all kept, once per
// batch; none, once per batch and step; a budget of one batch, in between.
TEST(FusedInference, KeptPreparationsGiveTheSameFieldWithFewerPreparations) {
  torch::manual_seed(8);
  const auto input = torch::randn({2, 64, 64}), base = torch::randn({1, 64, 64});
  const decomp::Tiling tiling({64, 64, 16, 4, decomp::Boundary::Periodic});
  const decomp::BlockDecomposition d(tiling, MPI_COMM_WORLD);
  auto f = pointwise_steps(3, 2);
  const auto inner = f.prepare;
  std::int64_t calls = 0, batch_bytes = 0;
  f.prepare = [&](const at::Tensor& in, const at::Tensor& b) {
    ++calls;
    auto p = inner(in, b);
    batch_bytes = std::max(batch_bytes, p.held_bytes);
    return p;
  };
  const std::int64_t batch = 4;
  const auto run = [&](std::int64_t keep) {
    f.keep_bytes = keep, calls = 0;
    const auto p = infer::predict_block_fused(reach_of(input, d), reach_of(base, d), d, f, batch, 0);
    return std::make_pair(whole_of(p.members, d), calls);
  };
  const auto [none, none_calls] = run(0);
  const auto [all, all_calls] = run(std::int64_t{1} << 40);
  const auto [one, one_calls] = run(batch_bytes);
  const auto batches = (static_cast<std::int64_t>(d.patches(d.rank()).size()) + batch - 1) / batch;
  EXPECT_EQ(none_calls, batches * f.steps);
  EXPECT_EQ(all_calls, batches);
  if (batches > 1) {
    EXPECT_GT(one_calls, all_calls);
    EXPECT_LT(one_calls, none_calls);
  }
  EXPECT_TRUE(torch::equal(all, none));
  EXPECT_TRUE(torch::equal(one, none));
}
