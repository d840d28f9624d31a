// bench_train [--size S] [--img 256] [--batch 1] [--steps 3]: under
// mpiexec -n P (P = 1 or 2, one thread per rank), for FLEX of the given size
// trained on SR patches of a random periodic field in memory:
//  - bare forward + backward of the diffusion loss (no data loading, no
//    communication, no optimiser), seconds per step on rank 0;
//  - a full training step (loader, gradient all-reduce, clipping, Lion, EMA)
//    on rank 0 alone (MPI_COMM_SELF): ratio full / bare (target <= 1.10);
//  - the full step on all P ranks: samples/s and scaling efficiency
//    (P-rank samples/s over P x 1-rank samples/s, target >= 0.85);
//  - peak resident memory per rank, and the BLAS LibTorch calls.
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>  // getpid

#include "flex/core/error.hpp"
#include "flex/comm/communicator.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/system_info.hpp"
#include "flex/data/dataset.hpp"
#include "flex/model/config.hpp"
#include "flex/model/flex.hpp"
#include "flex/train/flex_model.hpp"
#include "flex/train/trainer.hpp"

using namespace flex;

namespace {

struct Args {
  std::string size = "S";
  long img = 256, batch = 1, steps = 3;
};

// Seconds of the last step of a full training run on `mpi` (the trainer's
// own per-step timing); includes waiting for the loader, the all-reduce,
// clipping, the optimiser and the EMA.
double full_step_seconds(train::TrainModel& m, MPI_Comm mpi, const data::Dataset& ds, const Args& a,
                         const std::string& dir) {
  auto comm = comm::make_mpi_communicator(mpi);
  train::TrainOptions o;
  o.batch = a.batch;
  o.steps = a.steps + 1;  // the first step warms up; each step is its own logged window
  o.log_every = 1;
  o.checkpoint_every = 0;
  o.export_name = "";
  o.restart = "none";
  o.output_dir = dir;
  o.prefetch = 2;
  train::Trainer timed(m, *comm, mpi, {&ds}, {}, o);
  auto r = timed.run();
  int size = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(mpi, &size));
  return static_cast<double>(a.batch * size) / r.last.at("samples_per_s");
}

}  // namespace

int main(int argc, char** argv) {
  sysinfo::keep_freed_memory();  // the allocator policy of the flex executable (src/main.cpp)
  Environment env(argc, argv);
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--size")) a.size = argv[i + 1];
    if (!std::strcmp(argv[i], "--img")) a.img = std::stol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch")) a.batch = std::stol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--steps")) a.steps = std::stol(argv[i + 1]);
  }
  at::set_num_threads(1);
  model::FlexConfig cfg = model::flex_config_for_size(a.size);
  cfg.img = a.img;
  cfg.tasks = model::TaskSet::SuperResolution;
  torch::manual_seed(1);
  auto fields = torch::randn({4 * a.batch * env.size() + 4, 1, 2 * a.img, 2 * a.img});
  std::shared_ptr<const data::FieldSource> src = data::tensor_source(fields, 8000);
  data::SampleConfig sc;
  sc.channels = {0};
  sc.patch = a.img;
  data::Dataset ds({{src, 8000, data::select_snapshots("all", fields.size(0), "bench")}}, Task::SuperResolution, sc);

  model::BackboneConfig backbone;
  backbone.flex = cfg;
  auto net = model::make_backbone(backbone, 1);
  auto m = train::make_flex_train_model(net, c10::Device(c10::kCPU), {});
  const std::string dir = mpi::broadcast("/tmp/flex_bench_train_" + std::to_string(::getpid()), env.comm());

  // Bare forward + backward, best of `steps` after one warm-up.
  data::Batch b;
  {
    std::vector<data::Sample> samples;
    std::vector<std::int64_t> idx;
    for (long i = 0; i < a.batch; ++i) {
      samples.push_back(ds.get(i, 7 + i));
      idx.push_back(i);
    }
    b = data::collate(Task::SuperResolution, samples, idx);
  }
  double bare = 1e300;
  for (long s = 0; s <= a.steps; ++s) {
    const double t0 = MPI_Wtime();
    auto l = m->loss(b, 42 + s);
    l.backward();
    for (auto& p : net.module->parameters()) p.mutable_grad() = at::Tensor();
    if (s > 0) bare = std::min(bare, MPI_Wtime() - t0);
  }
  double one = 0.0;
  if (env.rank() == 0) one = full_step_seconds(*m, MPI_COMM_SELF, ds, a, dir + "/np1");
  mpi::idle_barrier(env.comm());  // rank 0 ran alone: keep the cores free for it
  const double all = full_step_seconds(*m, env.comm(), ds, a, dir + "/npP");
  const double peak = mpi::max(static_cast<double>(sysinfo::peak_rss_bytes()), env.comm());
  if (env.rank() == 0) {
    const double sps1 = a.batch / one, spsP = a.batch * env.size() / all;
    std::printf("bench_train: FLEX-%s SR, %ld^2 patches, batch %ld per rank, %d rank(s) x 1 thread\n", a.size.c_str(),
                a.img, a.batch, env.size());
    std::printf("  parameters            %lld\n", static_cast<long long>(model::count_parameters(*net.module)));
    std::printf("  bare fwd+bwd          %.3f s/step\n", bare);
    std::printf("  full step, 1 rank     %.3f s/step  %.3f samples/s  ratio full/bare %.3f (target <= 1.10)\n", one,
                sps1, one / bare);
    std::printf("  full step, %d rank(s)  %.3f s/step  %.3f samples/s  scaling efficiency %.3f (target >= 0.85)\n",
                env.size(), all, spsP, spsP / (env.size() * sps1));
    std::printf("  peak RSS per rank     %.1f MiB\n", peak / (1024.0 * 1024.0));
    std::printf("  BLAS                  %s\n", sysinfo::active_blas().c_str());
    std::filesystem::remove_all(dir);
  }
  return 0;
}
