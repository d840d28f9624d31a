// Whole-field super-resolution on the block decomposition (decomp/blocks.hpp),
// under mpiexec -n P, printed as ratios measured in this run:
//  - patch-count overhead of halos 0, patch/32, patch/16, patch/8 against the
//    non-overlapping tiling;
//  - with network=1 (FLEX of `size`, untrained weights off zero): the
//    whole-field time (gather, network, stitching, neighbour exchange) over
//    the bare batched network time for the same patches (target <= 1.10);
//  - per rank: the RSS growth of the run, the stitching buffers, and the
//    bytes sent to neighbours, against the whole-field all-reduce scheme
//    flex used before (2 x K x H x W x 8 bytes per rank whatever P); with
//    network=0 the patches are the conditioning plus per-member offsets, so
//    a 2048² field at K = 4 runs in seconds.
// fusion=every_step blends the states after every DDIM step
// (infer::predict_block_fused; the network=0 stub halves the state per step).
// Run at P = 1, 2, 4 for memory per rank against 1/P and the 1 -> 2 speedup.
//   bench_infer [field=2048] [patch=256] [halo=8] [members=4] [network=0]
//               [size=tiny] [batch=8] [threads=1] [fusion=once]
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "flex/core/environment.hpp"
#include "flex/core/system_info.hpp"
#include "flex/decomp/blocks.hpp"
#include "flex/infer/field_inference.hpp"
#include "flex/infer/sampling.hpp"
#include "flex/model/backbone.hpp"
#include "args.hpp"

using namespace flex;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A smooth periodic field, evaluated at the rank's reach only.
at::Tensor reach_field(const decomp::BlockDecomposition& d) {
  const auto g = d.reach(d.rank());
  const auto& t = d.tiling();
  const double H = static_cast<double>(t.spec().height), W = static_cast<double>(t.spec().width);
  auto out = torch::empty({1, g.rows.size(), g.cols.size()});
  auto acc = out.accessor<float, 3>();
  for (long i = 0; i < g.rows.size(); ++i)
    for (long j = 0; j < g.cols.size(); ++j) {
      const double y = 2 * M_PI * t.field_row(g.rows.begin + i) / H, x = 2 * M_PI * t.field_col(g.cols.begin + j) / W;
      acc[0][i][j] = static_cast<float>(std::sin(3 * x) * std::cos(2 * y) + 0.3 * std::sin(11 * x + 7 * y));
    }
  return out;
}

double max_over_ranks(double v, MPI_Comm comm) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, comm);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  sysinfo::keep_freed_memory();  // the allocator policy of the flex executable
  Environment env(argc, argv);
  const auto a = bench::parse_args(argc, argv,
                                   {{"field", "2048"}, {"patch", "256"}, {"halo", "8"}, {"members", "4"},
                                    {"network", "0"}, {"size", "tiny"}, {"batch", "8"}, {"threads", "1"},
                                    {"fusion", "once"}},
                                   "bench_infer [field=2048] [patch=256] [halo=8] [members=4] [network=0|1] "
                                   "[size=tiny] [batch=8] [threads=1] [fusion=once|every_step]");
  const long field = std::stol(a.at("field")), patch = std::stol(a.at("patch")), halo = std::stol(a.at("halo"));
  const long members = std::stol(a.at("members")), batch = std::stol(a.at("batch"));
  const bool network = a.at("network") == "1";
  const bool fused = a.at("fusion") == "every_step";
  if (!fused && a.at("fusion") != "once") {
    std::fprintf(stderr, "bench_infer: fusion=%s: expected once or every_step\n", a.at("fusion").c_str());
    return 2;
  }
  at::set_num_threads(std::stoi(a.at("threads")));
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const bool root = rank == 0;
  if (root)
    std::printf("bench_infer: %ld² field, %ld² patches, halo %ld, K = %ld, %s, fusion %s, %d rank(s); LibTorch %s, "
                "BLAS %s; CPU features: %s; host %s\n",
                field, patch, halo, members, network ? ("FLEX-" + a.at("size")).c_str() : "no network",
                a.at("fusion").c_str(), size,
                TORCH_VERSION, sysinfo::active_blas().c_str(), sysinfo::cpu_features().c_str(),
                sysinfo::hostname().c_str());

  const long plain = decomp::Tiling({field, field, patch, 0, decomp::Boundaries()}).count();
  if (root) {
    std::printf("patch count: %ld without overlap;", plain);
    for (const long h : {patch / 32, patch / 16, patch / 8, halo}) {
      const long n = decomp::Tiling({field, field, patch, h, decomp::Boundaries()}).count();
      std::printf(" halo %ld: %ld (%.2fx)", h, n, static_cast<double>(n) / static_cast<double>(plain));
    }
    std::printf("\n");
  }

  const decomp::Tiling tiling({field, field, patch, halo, decomp::Boundaries()});
  const decomp::BlockDecomposition d(tiling, MPI_COMM_WORLD);
  const auto input = reach_field(d);
  const auto mine = d.patches(rank);

  infer::PatchPredictor predict;
  infer::FusedPredictor every_step;
  infer::Sampling sampling;
  if (network) {
    sampling.config.flex = model::flex_config_for_size(a.at("size"));
    sampling.config.flex.tasks = model::TaskSet::SuperResolution;
    sampling.config.flex.img = patch;
    sampling.net = model::make_backbone(sampling.config, 1);
    torch::NoGradGuard no_grad;
    for (auto& p : sampling.net.module->parameters())  // off the zero-initialised output convolutions
      if (p.abs().max().item<double>() == 0) p.normal_(0, 0.02);
    sampling.net.module->eval();
    sampling.cond = {0.5f};
    sampling.members = members;
    predict = infer::flex_predictor(sampling, Task::SuperResolution, 0);
    every_step = infer::fused_predictor(sampling, Task::SuperResolution, 0);
  } else {
    every_step.members = members;
    every_step.steps = 2;
    every_step.prepare = [members](const at::Tensor&, const at::Tensor& base) {
      return infer::PreparedBatch{[members, base](const at::Tensor& z, std::int64_t n) {
                                    return n == 1 ? base.repeat({members, 1, 1, 1}) : z * 0.5;
                                  },
                                  0};
    };
    predict = [members](const at::Tensor&, const at::Tensor& base, const std::vector<std::int64_t>&) {
      std::vector<at::Tensor> m;
      for (long k = 0; k < members; ++k) m.push_back(base + 0.01 * static_cast<double>(k));
      return torch::stack(m);
    };
  }

  // The bare network on the same patches, batched alike (network=1 only).
  double bare = 0;
  if (network) {
    const auto g = d.reach(rank);
    bool warm = false;  // one untimed call first: oneDNN's primitives and the allocator, for both timings
    for (size_t first = 0; first < mine.size(); first += static_cast<size_t>(batch)) {
      std::vector<at::Tensor> ps;
      std::vector<std::int64_t> ids;
      for (size_t i = first; i < std::min(first + static_cast<size_t>(batch), mine.size()); ++i) {
        const auto p = tiling.patch(mine[i]);
        ps.push_back(input.narrow(1, p.row0 - g.rows.begin, patch).narrow(2, p.col0 - g.cols.begin, patch));
        ids.push_back(mine[i]);
      }
      const auto x = torch::stack(ps).contiguous();
      if (!warm) predict(x, x, ids), warm = true;
      const auto t0 = Clock::now();
      predict(x, x, ids);
      bare += seconds_since(t0);
    }
  }

  const double rss0 = static_cast<double>(sysinfo::current_rss_bytes());
  std::uint64_t sent = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = Clock::now();
  const auto out = fused ? infer::predict_block_fused(input, input, d, every_step, batch, 0, &sent)
                         : infer::predict_block(input, input, d, predict, batch, 0, &sent);
  const double whole = seconds_since(t0);
  const double grown = static_cast<double>(sysinfo::current_rss_bytes()) - rss0;

  const double whole_max = max_over_ranks(whole, MPI_COMM_WORLD), bare_max = max_over_ranks(bare, MPI_COMM_WORLD);
  const double grown_max = max_over_ranks(grown, MPI_COMM_WORLD);
  const double sent_max = max_over_ranks(static_cast<double>(sent), MPI_COMM_WORLD);
  long reach = 0, block = 0;
  for (int r = 0; r < size; ++r) reach = std::max(reach, d.reach(r).count()), block = std::max(block, d.block(r).count());
  const double buffers = static_cast<double>((members + 1) * reach * 8 + members * block * 4 * 3);
  const double old_scheme = 2.0 * static_cast<double>(members) * static_cast<double>(field * field) * 8;
  if (root) {
    std::printf("decomposition %dx%d: largest block %ld px, reach %ld px (whole field %ld)\n", d.dims()[0], d.dims()[1],
                block, reach, field * field);
    std::printf("whole-field SR: %.3f s (slowest rank)", whole_max);
    if (network) std::printf(", bare network %.3f s: ratio %.3f (target <= 1.10)", bare_max, whole_max / bare_max);
    std::printf("\nper rank (largest): RSS growth %.1f MB, stitching and block buffers %.1f MB (%.3f of the whole "
                "field's %.1f MB; 1/P = %.3f), sent %.2f MB (the whole-field all-reduce: %.1f MB)\n",
                grown_max / 1e6, buffers / 1e6,
                buffers / static_cast<double>((members + 1) * field * field * 8 + members * field * field * 4 * 3),
                static_cast<double>((members + 1) * field * field * 8 + members * field * field * 4 * 3) / 1e6,
                1.0 / size, sent_max / 1e6, old_scheme / 1e6);
    std::printf("RESULT fusion=%s ranks=%d seconds=%.4f bare=%.4f rss_mb=%.1f buffers_mb=%.1f sent_mb=%.3f\n", a.at("fusion").c_str(), size, whole_max,
                bare_max, grown_max / 1e6, buffers / 1e6, sent_max / 1e6);
  }
  (void)out;
  return 0;
}
