// FLEX cost per 256² patch on CPU, in every precision x memory layout
// (run.precision, run.memory_format): a training step (forward, backward,
// AdamW update, as the authors' harness times theirs) and 2-step DDIM
// sampling; each as a time and as a fraction of this host's attainable rate
// measured in the same run (the best of sgemm and the 3x3 convolution in both
// layouts, per precision); the peak RSS of each configuration (each runs in a
// fresh child process); the overhead ratio = step time / its convolution and
// matrix-product time (LibTorch's profiler); the CPU features seen.
//   bench_model [size=S] [tasks=sr] [img=256] [batch=1] [reps=3] [threads=2]
//               [precision=fp32,bf16] [layout=nchw,nhwc] [profile=0|1]
//               [reference_train=S reference_sample=S]  (authors' times, same sitting)
// The authors' code on the same host (../shared/peer-bench, 2 threads, FLEX-S
// SR, one 256² patch) measured 5.8-6.6 s per training step, 3.0-3.5 s sampling.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <unistd.h>
#include <memory>
#include <stdexcept>
#include <vector>

#include "flex/core/system_info.hpp"
#include "args.hpp"
#include "kernel_cost.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/diffusion/sampler.hpp"
#include "flex/model/compute.hpp"
#include "flex/model/flex.hpp"
#include "flex/train/optimizer.hpp"

using namespace flex;
using flex::bench::kernel_cost;
using flex::bench::print_top_self_times;
using flex::bench::profile;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Step {
  model::Flex net;
  model::Precision precision = model::Precision::FP32;
  torch::Tensor r, low, cond;
  std::vector<std::uint64_t> seeds;
  std::unique_ptr<train::Optimizer> optimizer;

  double train_step() {
    const auto t0 = Clock::now();
    net->train();
    optimizer->zero_grad();
    const auto draw = diffusion::draw_noise(r, seeds);
    const auto batch = diffusion::add_noise(r, draw, {}, diffusion::Parameterisation::V);
    at::Tensor out;
    {
      model::AutocastScope autocast(precision, c10::DeviceType::CPU);
      out = net->forward(batch.z_t, draw.t, cond, Task::SuperResolution, low);
    }
    diffusion::diffusion_loss(out.to(at::kFloat), batch, {}).backward();
    optimizer->step(2e-4);
    return seconds_since(t0);
  }
  double sample_2steps() {
    const auto t0 = Clock::now();
    net->eval();
    torch::NoGradGuard no_grad;
    model::AutocastScope autocast(precision, c10::DeviceType::CPU);
    const auto denoise = net->denoiser(Task::SuperResolution, low, cond);
    diffusion::sample([&](const at::Tensor& z, const at::Tensor& t) { return denoise(z, t).to(at::kFloat); },
                      torch::randn_like(r), low, {});
    return seconds_since(t0);
  }
};

// Achieved GFLOP/s of one 64->64 3x3 convolution at img² (forward) in both
// layouts, and of a square 2048² matrix product, in `dtype`. Returns the
// best: the machine's attainable rate in that precision.
double probe_kernels(std::int64_t img, at::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  const auto o = torch::TensorOptions().dtype(dtype);
  const auto x = torch::randn({1, 64, img, img}, o);
  const auto w = torch::randn({64, 64, 3, 3}, o);
  const double flop = 2.0 * 64 * 576 * img * img;
  auto rate = [&](double f_flop, const std::function<void()>& f) {
    f();
    const auto t0 = Clock::now();
    for (int i = 0; i < 3; ++i) f();
    return 3 * f_flop / seconds_since(t0) * 1e-9;
  };
  const double conv = rate(flop, [&] { torch::conv2d(x, w, {}, 1, 1); });
  const auto xl = x.contiguous(at::MemoryFormat::ChannelsLast);
  const auto wl = w.contiguous(at::MemoryFormat::ChannelsLast);
  const double conv_cl = rate(flop, [&] { torch::conv2d(xl, wl, {}, 1, 1); });
  const auto sq = torch::randn({2048, 2048}, o);
  const double gemm = rate(2.0 * 2048 * 2048 * 2048, [&] { torch::mm(sq, sq); });
  std::printf("  %s kernels: conv3x3 64->64 at %lld² NCHW %.1f GFLOP/s, NHWC %.1f GFLOP/s; gemm 2048² %.1f GFLOP/s\n",
              c10::toString(dtype), static_cast<long long>(img), conv, conv_cl, gemm);
  return std::max({conv, conv_cl, gemm});
}

// One configuration, in this (child) process: prints one RESULT line.
int run_child(const std::map<std::string, std::string>& a) {
  auto cfg = model::flex_config_for_size(a.at("size"));
  cfg.tasks = model::parse_task_set(a.at("tasks"));
  cfg.img = std::stol(a.at("img"));
  const long batch = std::stol(a.at("batch")), reps = std::stol(a.at("reps"));
  at::set_num_threads(std::stoi(a.at("threads")));
  Step s{model::build_flex(cfg, 1), model::parse_precision(a.at("precision")), {}, {}, {}, {}, {}};
  model::apply_memory_layout(*s.net, model::parse_memory_layout(a.at("layout")));
  train::OptimizerOptions adam;
  adam.name = "adamw";
  s.optimizer = train::make_optimizer(s.net->parameters(), adam);
  torch::manual_seed(2);
  s.r = torch::randn({batch, cfg.out_channels, cfg.img, cfg.img});
  s.low = torch::randn({batch, cfg.in_channels, cfg.img, cfg.img});
  s.cond = torch::rand({batch, cfg.n_cond_scalars});
  for (long i = 0; i < batch; ++i) s.seeds.push_back(100 + i);

  // Warm-up: allocator, oneDNN primitives, optimiser state. This host's clock
  // drifts with its load: the best repetition and the mean are both reported.
  s.train_step(), s.train_step();
  double train = 1e30, sampling = 1e30, train_mean = 0, sampling_mean = 0;
  for (long i = 0; i < reps; ++i) {
    const double t = s.train_step();
    train = std::min(train, t), train_mean += t / reps;
  }
  s.sample_2steps();
  for (long i = 0; i < reps; ++i) {
    const double t = s.sample_2steps();
    sampling = std::min(sampling, t), sampling_mean += t / reps;
  }
  const double peak = static_cast<double>(sysinfo::peak_rss_bytes());

  // The arithmetic of the step's convolutions (and, with profile=1, the
  // share of its time outside convolutions and matrix products).
  double profiled = 0;
  const auto events = profile([&] { profiled = s.train_step(); });
  const auto cost = kernel_cost(events);
  const auto sampling_events = profile([&] { s.sample_2steps(); });
  const auto sampling_cost = kernel_cost(sampling_events);
  std::printf("RESULT %.6f %.6f %.6f %.6f %.0f %.6e %.6e %.6f %.6f %.6f %.6f\n", train / batch, train_mean / batch,
              sampling / batch, sampling_mean / batch, peak, 3 * cost.conv_flop / batch,
              sampling_cost.conv_flop / batch, profiled / cost.seconds, cost.conv_flop / cost.conv_forward_s * 1e-9,
              2 * cost.conv_flop / cost.conv_backward_s * 1e-9, sampling_cost.seconds / batch);
  if (a.at("profile") == "1") {
    std::printf("  training step, top self times:\n");
    print_top_self_times(events, 12);
    std::printf("  2-step sampling, top self times:\n");
    print_top_self_times(sampling_events, 12);
  }
  std::fflush(stdout);
  return 0;
}

struct Result {
  std::string precision, layout;
  double train = 0, train_mean = 0, sampling = 0, sampling_mean = 0, peak_rss = 0, train_flop = 0, sampling_flop = 0,
         overhead = 0, conv_fwd_rate = 0, conv_bwd_rate = 0, sampling_kernels = 0;
};

// Runs one configuration in a fresh process (its own peak RSS) and parses its RESULT line.
Result run_config(const std::map<std::string, std::string>& a, const std::string& precision,
                  const std::string& layout) {
  std::string cmd = "/proc/" + std::to_string(getpid()) + "/exe child=1";
  for (const auto& kv : a)
    if (kv.first != "child" && kv.first != "precision" && kv.first != "layout") cmd += " " + kv.first + "=" + kv.second;
  cmd += " precision=" + precision + " layout=" + layout;
  Result r{precision, layout};
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("bench_model: cannot start " + cmd);
  char line[4096];
  bool found = false;
  while (std::fgets(line, sizeof line, pipe)) {
    if (std::sscanf(line, "RESULT %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf", &r.train, &r.train_mean, &r.sampling,
                    &r.sampling_mean, &r.peak_rss, &r.train_flop, &r.sampling_flop, &r.overhead, &r.conv_fwd_rate,
                    &r.conv_bwd_rate, &r.sampling_kernels) == 11) {
      found = true;
    } else {
      std::fputs(line, stdout);
    }
  }
  if (pclose(pipe) != 0 || !found) throw std::runtime_error("bench_model: configuration " + precision + "/" + layout + " failed");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  sysinfo::keep_freed_memory();  // the allocator policy of the flex executable (src/app/main/flex.cpp)
  const auto a = bench::parse_args(
      argc, argv,
      {{"size", "S"}, {"tasks", "sr"}, {"img", "256"}, {"batch", "1"}, {"reps", "3"}, {"threads", "2"},
       {"precision", "fp32,bf16"}, {"layout", "nchw,nhwc"}, {"profile", "0"}, {"reference_train", "0"},
       {"reference_sample", "0"}, {"child", "0"}},
      "bench_model [size=S] [tasks=sr] [img=256] [batch=1] [reps=3] [threads=2] [precision=fp32,bf16] "
      "[layout=nchw,nhwc] [profile=0|1] [reference_train=S] [reference_sample=S]");
  if (a.at("child") == "1") return run_child(a);

  auto cfg = model::flex_config_for_size(a.at("size"));
  cfg.tasks = model::parse_task_set(a.at("tasks"));
  cfg.img = std::stol(a.at("img"));
  const int threads = std::stoi(a.at("threads"));
  at::set_num_threads(threads);
  std::printf("bench_model: %s, batch %s, %d thread(s)\n", model::describe(cfg).c_str(), a.at("batch").c_str(), threads);
  std::printf("LibTorch %s, BLAS %s, oneDNN (mkldnn) %s; CPU features: %s; host %s\n", TORCH_VERSION,
              sysinfo::active_blas().c_str(), at::hasMKLDNN() ? "available" : "absent", sysinfo::cpu_features().c_str(),
              sysinfo::hostname().c_str());
  std::map<std::string, double> attainable;
  for (const auto& p : bench::split_list(a.at("precision")))
    attainable[p] = probe_kernels(cfg.img, model::compute_dtype(model::parse_precision(p)));

  std::vector<Result> results;
  for (const auto& p : bench::split_list(a.at("precision")))
    for (const auto& l : bench::split_list(a.at("layout"))) {
      results.push_back(run_config(a, p, l));
      const auto& r = results.back();
      // Fraction of attainable: the convolutions' arithmetic at this host's best
      // rate in that precision, over the measured time (1 = at the kernel limit).
      const double rate = attainable.at(p) * 1e9;
      std::printf(
          "%-4s %-4s  train step %.3f s (mean %.3f, %.2f of attainable)  2-step sampling %.3f s (mean %.3f, %.2f of "
          "attainable)  peak RSS %.2f GB\n"
          "           conv forward %.1f GFLOP/s, backward %.1f GFLOP/s; step overhead ratio %.2f (time / conv+matmul "
          "time); conv %.0f GFLOP per step, %.0f per sampling\n",
          p.c_str(), l.c_str(), r.train, r.train_mean, r.train_flop / rate / r.train, r.sampling, r.sampling_mean,
          r.sampling_flop / rate / r.sampling, r.peak_rss / 1e9, r.conv_fwd_rate, r.conv_bwd_rate, r.overhead,
          r.train_flop * 1e-9, r.sampling_flop * 1e-9);
      std::fflush(stdout);
    }

  // Does run.memory_format = auto's one-layer probe pick the layout in which
  // the whole network is faster? (Its choice for training and for sampling.)
  for (const auto& p : bench::split_list(a.at("precision"))) {
    const Result *nchw = nullptr, *nhwc = nullptr;
    for (const auto& r : results)
      if (r.precision == p) (r.layout == "nchw" ? nchw : nhwc) = &r;
    if (!nchw || !nhwc) continue;
    for (const bool training : {true, false}) {
      model::LayoutProbe probe;
      probe.channels = cfg.channels.front(), probe.img = cfg.img, probe.batch = std::stol(a.at("batch"));
      probe.backward = training, probe.precision = model::parse_precision(p);
      const auto choice = model::choose_memory_layout(model::MemoryLayout::Auto, probe);
      const double t_nchw = training ? nchw->train : nchw->sampling, t_nhwc = training ? nhwc->train : nhwc->sampling;
      const bool nhwc_faster = t_nhwc < t_nchw;
      const bool agrees = (choice.layout == model::MemoryLayout::NHWC) == nhwc_faster ||
                          std::abs(t_nhwc / t_nchw - 1) < 0.05;  // within the repetitions' spread: a tie
      std::printf("auto for %s %s: %s; whole network nchw %.3f s, nhwc %.3f s: %s\n", p.c_str(),
                  training ? "training" : "sampling", model::describe(choice).c_str(), t_nchw, t_nhwc,
                  agrees ? "agrees" : "DISAGREES");
    }
  }

  const double ref_train = std::stod(a.at("reference_train")), ref_sample = std::stod(a.at("reference_sample"));
  const Result* base = nullptr;
  for (const auto& r : results)
    if (r.precision == "fp32" && r.layout == "nchw") base = &r;
  std::printf("summary (best of %s repetitions):\n", a.at("reps").c_str());
  for (const auto& r : results) {
    std::printf("  %-4s %-4s train %.3f s  sampling %.3f s  peak %.2f GB", r.precision.c_str(), r.layout.c_str(),
                r.train, r.sampling, r.peak_rss / 1e9);
    if (base) std::printf("  / fp32 nchw: train %.2f sampling %.2f", r.train / base->train, r.sampling / base->sampling);
    if (ref_train > 0 && ref_sample > 0)
      std::printf("  / authors' fp32: train %.2f sampling %.2f", r.train / ref_train, r.sampling / ref_sample);
    std::printf("\n");
  }
  return 0;
}
