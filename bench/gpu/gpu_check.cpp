// The measured part of bench/gpu/check.sh: on one device (cuda, or cpu for
// the dry run), one summary line per check:
//  - nccl: an all-reduce of a 256 MiB fp32 tensor through the communicator
//    run.device selects (NCCL on CUDA), checked against the exact sum, and
//    its bus bandwidth;
//  - train <precision>: a FLEX training step (forward, backward, AdamW, as
//    bench_model and the authors' harness time it) on SR patches;
//  - sample <precision>: 2-step DDIM sampling of the same patches;
// each with the time per step (best and mean of `reps`), the peak memory (the
// CUDA caching allocator's peak of allocated bytes; peak RSS on the CPU) and
// the convolutions' GFLOP/s (their arithmetic counted from the profiled
// shapes, over the step time).
//   bench_gpu_check [device=cuda] [size=S] [img=256] [batch=4] [reps=5]
//                   [precision=fp32,bf16] [checks=nccl,train,sample]
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "flex/comm/communicator.hpp"
#include "flex/config.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/system_info.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/diffusion/sampler.hpp"
#include "flex/model/compute.hpp"
#include "flex/model/flex.hpp"
#include "flex/train/optimizer.hpp"
#include "args.hpp"
#include "kernel_cost.hpp"

#if FLEX_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

using namespace flex;
using Clock = std::chrono::steady_clock;

namespace {

// Peak memory of what ran since the last reset, in bytes.
class PeakMemory {
 public:
  explicit PeakMemory(c10::Device device) : device_(device) {}
  void reset() {
#if FLEX_TORCH_CUDA
    if (device_.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device_.index());
#endif
  }
  double bytes() const {
#if FLEX_TORCH_CUDA
    if (device_.is_cuda())
      return static_cast<double>(c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index()).allocated_bytes[0].peak);
#endif
    return static_cast<double>(sysinfo::peak_rss_bytes());  // the process's; the CPU has no per-step peak
  }
  const char* what() const { return device_.is_cuda() ? "peak allocated" : "peak RSS"; }

 private:
  c10::Device device_;
};

// Seconds of f(), the device drained before and after.
double timed(c10::Device device, const std::function<void()>& f) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
  const auto t0 = Clock::now();
  f();
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Timing {
  double best = 1e30, mean = 0;
};

Timing repeat(c10::Device device, long reps, const std::function<void()>& f) {
  f();  // warm-up: allocator, cuDNN/oneDNN algorithm choice, optimiser state
  Timing t;
  for (long i = 0; i < reps; ++i) {
    const double s = timed(device, f);
    t.best = std::min(t.best, s), t.mean += s / reps;
  }
  return t;
}

bool check_nccl(c10::Device device) {
  auto comm = comm::make_communicator(MPI_COMM_WORLD, device);
  const std::int64_t n = 64 << 20;  // 256 MiB of fp32
  auto t = torch::ones({n}, torch::TensorOptions(device)) * (comm->rank() + 1);
  const auto time = repeat(device, 3, [&] {
    t.fill_(comm->rank() + 1);
    comm->allreduce_sum(t);
  });
  const double expect = comm->size() * (comm->size() + 1) / 2.0;
  const bool exact = (t == expect).all().item<bool>();
  // Bus bandwidth as nccl-tests define it: 2 (P-1)/P x bytes / time (0 on one rank: no traffic).
  const double bus = 2.0 * (comm->size() - 1) / comm->size() * n * 4 / time.best / 1e9;
  std::printf("gpu-check: nccl %s: %s backend, %d rank(s), 256 MiB all-reduce %.2f ms (best of 3), bus bandwidth "
              "%.1f GB/s, sum %s\n",
              exact ? "ok" : "FAIL", comm->backend().c_str(), comm->size(), time.best * 1e3, bus,
              exact ? "exact" : "WRONG");
  return exact;
}

struct Patches {
  model::Flex net;
  model::Precision precision;
  c10::Device device;
  torch::Tensor r, low, cond;
  std::vector<std::uint64_t> seeds;
  std::unique_ptr<train::Optimizer> optimizer;

  void train_step() {
    net->train();
    optimizer->zero_grad();
    const auto draw = diffusion::draw_noise(r, seeds);
    const auto batch = diffusion::add_noise(r, draw, {}, diffusion::Parameterisation::V);
    const auto out = model::in_precision(precision, device.type(), [&] {
      return net->forward(batch.z_t, draw.t, cond, Task::SuperResolution, low);
    });
    diffusion::diffusion_loss(out, batch, {}).backward();
    optimizer->step(2e-4);
  }
  void sample_2steps() {
    net->eval();
    torch::NoGradGuard no_grad;
    model::AutocastScope autocast(precision, device.type());
    const auto denoise = net->denoiser(Task::SuperResolution, low, cond);
    diffusion::sample([&](const at::Tensor& z, const at::Tensor& t) { return denoise(z, t).to(at::kFloat); },
                      torch::randn_like(r), low, {});
  }
};

// One line for `what` (train or sample) in `precision`.
bool check_network(const std::map<std::string, std::string>& a, c10::Device device, const std::string& what,
                   const std::string& precision) {
  auto cfg = model::flex_config_for_size(a.at("size"));
  cfg.tasks = model::TaskSet::SuperResolution;
  cfg.img = std::stol(a.at("img"));
  const long batch = std::stol(a.at("batch")), reps = std::stol(a.at("reps"));
  const auto p = model::parse_precision(precision);
  const auto why_not = model::precision_unsupported(p, device.type());
  if (!why_not.empty()) {
    std::printf("gpu-check: %s %s skipped: %s\n", what.c_str(), precision.c_str(), why_not.c_str());
    return true;
  }
  Patches s{model::build_flex(cfg, 1), p, device, {}, {}, {}, {}, {}};
  s.net->to(device);
  train::OptimizerOptions adam;
  adam.name = "adamw";
  s.optimizer = train::make_optimizer(s.net->parameters(), adam);
  torch::manual_seed(2);
  const auto on = torch::TensorOptions(device);
  s.r = torch::randn({batch, cfg.out_channels, cfg.img, cfg.img}, on);
  s.low = torch::randn({batch, cfg.in_channels, cfg.img, cfg.img}, on);
  s.cond = torch::rand({batch, cfg.n_cond_scalars}, on);
  for (long i = 0; i < batch; ++i) s.seeds.push_back(100 + i);

  const bool train = what == "train";
  const std::function<void()> f = [&] { train ? s.train_step() : s.sample_2steps(); };
  PeakMemory memory(device);
  f();  // warm-up outside the peak: cuDNN's algorithm search allocates workspaces once
  memory.reset();
  const auto time = repeat(device, reps, f);
  const double peak = memory.bytes();
  // Forward convolutions' arithmetic x 3 for a training step (the backward's
  // data and weight gradients cost one forward each); x 1 for sampling (2
  // network evaluations, both recorded).
  const double flop = bench::kernel_cost(bench::profile(f)).conv_flop * (train ? 3 : 1);
  const bool finite = torch::isfinite(train ? s.net->parameters().front() : s.r).all().item<bool>();
  std::printf("gpu-check: %s %s %s: FLEX-%s %lld² batch %ld, %.2f ms/step (best of %ld; mean %.2f), %s %.2f GB, "
              "conv %.0f GFLOP/s (%.1f GFLOP per step)\n",
              what.c_str(), precision.c_str(), finite ? "ok" : "FAIL", a.at("size").c_str(),
              static_cast<long long>(cfg.img), batch, time.best * 1e3, reps, time.mean * 1e3, memory.what(),
              peak / 1e9, flop / time.best * 1e-9, flop * 1e-9);
  return finite;
}

}  // namespace

int main(int argc, char** argv) {
  sysinfo::keep_freed_memory();  // the allocator policy of the flex executable
  Environment env(argc, argv);
  const auto a = bench::parse_args(argc, argv,
                                   {{"device", "cuda"}, {"size", "S"}, {"img", "256"}, {"batch", "4"}, {"reps", "5"},
                                    {"precision", "fp32,bf16"}, {"checks", "nccl,train,sample"}},
                                   "bench_gpu_check [device=cuda|cpu] [size=S] [img=256] [batch=4] [reps=5] "
                                   "[precision=fp32,bf16] [checks=nccl,train,sample]");
  const bool cuda = a.at("device") == "cuda";
  if (cuda && !torch::cuda::is_available()) {
    std::fprintf(stderr, "bench_gpu_check: device=cuda, but this LibTorch (%s) sees no CUDA device\n", TORCH_VERSION);
    return 1;
  }
  const c10::Device device = cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  std::printf("bench_gpu_check: LibTorch %s, device %s (%zu CUDA device(s)), cuDNN %s, TF32 for cuDNN "
              "convolutions %s, for matrix products %s; host %s, CPU features: %s\n",
              TORCH_VERSION, a.at("device").c_str(), cuda ? torch::cuda::device_count() : 0,
              torch::cuda::cudnn_is_available() ? "yes" : "no",
              at::globalContext().allowTF32CuDNN() ? "on" : "off",
              at::globalContext().allowTF32CuBLAS() ? "on" : "off", sysinfo::hostname().c_str(),
              sysinfo::cpu_features().c_str());
  bool ok = true;
  for (const auto& check : bench::split_list(a.at("checks"))) {
    if (check == "nccl") {
      ok = check_nccl(device) && ok;
    } else if (check == "train" || check == "sample") {
      for (const auto& p : bench::split_list(a.at("precision"))) ok = check_network(a, device, check, p) && ok;
    } else {
      std::fprintf(stderr, "bench_gpu_check: unknown check '%s' (nccl, train, sample)\n", check.c_str());
      return 2;
    }
    std::fflush(stdout);
  }
  return ok ? 0 : 1;
}
