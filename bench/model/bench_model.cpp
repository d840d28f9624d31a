// FLEX cost per 256² patch on CPU: a training step (forward + backward, L1 v
// loss) and 2-step DDIM sampling, at 1 and 2 threads; peak memory; the
// overhead ratio = time of a profiled step / time of its convolutions and
// matrix products (LibTorch's profiler); and a roofline: the convolutions'
// FLOPs over the best fp32 rate measured on this machine in the same run.
//   bench_model [size=S] [tasks=sr] [img=256] [batch=1] [reps=2] [threads=1,2]
// Reference bar (authors' PyTorch, 2 threads, FLEX-S, one 256² patch):
// 6.0 s per training step, 3.6 s for 2-step sampling.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "flex/core/system_info.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/diffusion/sampler.hpp"
#include "flex/model/flex.hpp"

using namespace flex;
using Clock = std::chrono::steady_clock;

namespace {

std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> a{{"size", "S"}, {"tasks", "sr"}, {"img", "256"},   {"batch", "1"},
                                       {"reps", "2"}, {"threads", "1,2"}};
  for (int i = 1; i < argc; ++i) {
    const std::string w = argv[i];
    const auto eq = w.find('=');
    if (eq == std::string::npos || !a.count(w.substr(0, eq))) {
      std::fprintf(stderr, "usage: bench_model [size=S] [tasks=sr] [img=256] [batch=1] [reps=2] [threads=1,2]\n");
      std::exit(2);
    }
    a[w.substr(0, eq)] = w.substr(eq + 1);
  }
  return a;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Time inside convolutions and matrix products (outermost such op only, so
// nested calls are not counted twice), from the legacy CPU profiler's ranges,
// and the arithmetic of the convolutions from their recorded input shapes.
struct KernelCost {
  double seconds = 0;      // conv + matmul, outermost ranges
  double conv_flop = 0;    // forward convolutions: 2 N Cout Cin kh kw H W (stride 1, same padding, as in FLEX)
  double conv_forward_s = 0, conv_backward_s = 0;
};

double conv_flop(const std::vector<std::vector<std::int64_t>>& shapes, bool backward) {
  const auto& x = shapes.at(backward ? 1 : 0);  // convolution(input, weight, ...); convolution_backward(grad, input, weight, ...)
  const auto& w = shapes.at(backward ? 2 : 1);
  if (x.size() != 4 || w.size() != 4) return 0;
  return 2.0 * x[0] * w[0] * w[1] * w[2] * w[3] * x[2] * x[3];
}

KernelCost kernel_cost(const torch::autograd::profiler::thread_event_lists& lists) {
  static const std::set<std::string> kernels{"aten::convolution", "aten::convolution_backward", "aten::mm",
                                             "aten::addmm",       "aten::bmm",                  "aten::baddbmm"};
  KernelCost cost;
  for (const auto& events : lists) {
    std::vector<std::pair<const torch::autograd::profiler::LegacyEvent*, bool>> stack;  // event, is kernel
    int inside = 0;
    for (const auto& e : events) {
      using K = torch::autograd::profiler::EventKind;
      if (e.kind() == K::PushRange) {
        const bool k = kernels.count(e.name()) > 0;
        stack.emplace_back(&e, k);
        inside += k;
      } else if (e.kind() == K::PopRange && !stack.empty()) {
        const auto [start, k] = stack.back();
        stack.pop_back();
        inside -= k;
        if (!k || inside != 0) continue;
        const double s = start->cpuElapsedUs(e) * 1e-6;
        cost.seconds += s;
        const std::string name = start->name();
        if (name == "aten::convolution") {
          cost.conv_flop += conv_flop(start->shapes(), false);
          cost.conv_forward_s += s;
        } else if (name == "aten::convolution_backward") {
          cost.conv_backward_s += s;
        }
      }
    }
  }
  return cost;
}

// The events of f() under LibTorch's CPU profiler, with input shapes.
torch::autograd::profiler::thread_event_lists profile(const std::function<void()>& f) {
  torch::autograd::profiler::enableProfilerLegacy(
      torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true));
  f();
  return torch::autograd::profiler::disableProfilerLegacy();
}

// The operators taking the most exclusive (self) time in the profiled step.
void print_top_self_times(const torch::autograd::profiler::thread_event_lists& lists, int top) {
  std::map<std::string, double> self_us;
  for (const auto& events : lists) {
    struct Open {
      const torch::autograd::profiler::LegacyEvent* start;
      double children_us;
    };
    std::vector<Open> stack;
    for (const auto& e : events) {
      using K = torch::autograd::profiler::EventKind;
      if (e.kind() == K::PushRange) {
        stack.push_back({&e, 0.0});
      } else if (e.kind() == K::PopRange && !stack.empty()) {
        const auto open = stack.back();
        stack.pop_back();
        const double us = open.start->cpuElapsedUs(e);
        self_us[open.start->name()] += us - open.children_us;
        if (!stack.empty()) stack.back().children_us += us;
      }
    }
  }
  std::vector<std::pair<double, std::string>> order;
  for (const auto& kv : self_us) order.emplace_back(kv.second, kv.first);
  std::sort(order.rbegin(), order.rend());
  for (int i = 0; i < top && i < static_cast<int>(order.size()); ++i)
    std::printf("    self %.3f s  %s\n", order[i].first * 1e-6, order[i].second.c_str());
}

struct Step {
  model::Flex net;
  torch::Tensor r, low, cond;
  std::vector<std::uint64_t> seeds;

  double train_step() {
    const auto t0 = Clock::now();
    net->train();
    net->zero_grad();
    const auto draw = diffusion::draw_noise(r, seeds);
    const auto batch = diffusion::add_noise(r, draw, {}, diffusion::Parameterisation::V);
    const auto out = net->forward(batch.z_t, draw.t, cond, Task::SuperResolution, low);
    diffusion::diffusion_loss(out, batch, {}).backward();
    return seconds_since(t0);
  }
  double sample_2steps() {
    const auto t0 = Clock::now();
    net->eval();
    torch::NoGradGuard no_grad;
    diffusion::sample(net->denoiser(Task::SuperResolution, low, cond), torch::randn_like(r), low, {});
    return seconds_since(t0);
  }
};

// Achieved GFLOP/s of one 64->64 3x3 convolution at img² (forward), of the
// matrix product im2col would turn it into, and of a square 2048² sgemm.
// Returns the best: the machine's attainable fp32 rate for the roofline.
double probe_kernels(std::int64_t img) {
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 64, img, img});
  const auto w = torch::randn({64, 64, 3, 3});
  const auto a = torch::randn({64, 576}), b = torch::randn({576, img * img});
  const double flop = 2.0 * 64 * 576 * img * img;
  auto rate = [&](const std::function<void()>& f) {
    f();
    const auto t0 = Clock::now();
    for (int i = 0; i < 3; ++i) f();
    return 3 * flop / seconds_since(t0) * 1e-9;
  };
  const double conv = rate([&] { torch::conv2d(x, w, {}, 1, 1); });
  const auto xl = x.contiguous(at::MemoryFormat::ChannelsLast);
  const auto wl = w.contiguous(at::MemoryFormat::ChannelsLast);
  const double conv_cl = rate([&] { torch::conv2d(xl, wl, {}, 1, 1); });
  const double mm = rate([&] { torch::mm(a, b); });
  const auto sq = torch::randn({2048, 2048});
  torch::mm(sq, sq);
  const auto t0 = Clock::now();
  torch::mm(sq, sq);
  const double sgemm = 2.0 * 2048 * 2048 * 2048 / seconds_since(t0) * 1e-9;
  std::printf(
      "  kernels at %d thread(s): conv3x3 64->64 %.1f GFLOP/s (channels-last %.1f), same-size matmul %.1f, "
      "sgemm 2048² %.1f GFLOP/s\n",
      at::get_num_threads(), conv, conv_cl, mm, sgemm);
  return std::max({conv, conv_cl, mm, sgemm});
}

}  // namespace

int main(int argc, char** argv) {
  sysinfo::keep_freed_memory();  // the allocator policy of the flex executable (src/main.cpp)
  const auto a = parse_args(argc, argv);

  auto cfg = model::flex_config_for_size(a.at("size"));
  cfg.tasks = model::parse_task_set(a.at("tasks"));
  cfg.img = std::stol(a.at("img"));
  const long batch = std::stol(a.at("batch")), reps = std::stol(a.at("reps"));
  // The authors' figures are for FLEX-S super-resolution on 256² patches.
  const bool reference_case = a.at("size") == "S" && a.at("tasks") == "sr" && cfg.img == 256;
  std::printf("bench_model: %s, batch %ld\n", model::describe(cfg).c_str(), batch);
  std::printf("LibTorch %s, BLAS %s, oneDNN (mkldnn) %s\n", TORCH_VERSION, sysinfo::active_blas().c_str(),
              at::hasMKLDNN() ? "available" : "absent");

  const auto rss0 = sysinfo::peak_rss_bytes();
  Step s{model::build_flex(cfg, 1), {}, {}, {}, {}};
  torch::manual_seed(2);
  s.r = torch::randn({batch, cfg.out_channels, cfg.img, cfg.img});
  s.low = torch::randn({batch, cfg.in_channels, cfg.img, cfg.img});
  s.cond = torch::rand({batch, cfg.n_cond_scalars});
  for (long i = 0; i < batch; ++i) s.seeds.push_back(100 + i);
  std::printf("parameters %lld, model memory %.2f GB\n", static_cast<long long>(model::count_parameters(*s.net)),
              (sysinfo::peak_rss_bytes() - rss0) / 1e9);

  std::stringstream threads(a.at("threads"));
  for (std::string word; std::getline(threads, word, ',');) {
    const int n = std::stoi(word);
    at::set_num_threads(n);
    const double peak_rate = probe_kernels(cfg.img);
    const auto before = sysinfo::peak_rss_bytes();
    s.train_step();  // warm-up: allocator, oneDNN primitives
    const auto peak = sysinfo::peak_rss_bytes();
    // This machine's clock drifts with the host's load (sgemm 127-179 GFLOP/s
    // within an hour): report the best repetition and the mean.
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

    // The same step and sampling under the profiler: conv + matmul time alone.
    double profiled = 0;
    const auto events = profile([&] { profiled = s.train_step(); });
    const auto cost = kernel_cost(events);
    const double kernels = cost.seconds;
    const auto sampling_cost = kernel_cost(profile([&] { s.sample_2steps(); }));

    std::printf(
        "threads %d: train step %.3f s/patch (mean %.3f)  2-step sampling %.3f s/patch (mean %.3f)  "
        "peak RSS %.2f GB (+%.2f GB in the first step)\n"
        "  profiled step: conv+matmul %.3f s of %.3f s, overhead ratio %.3f\n",
        n, train / batch, train_mean / batch, sampling / batch, sampling_mean / batch, peak / 1e9, (peak - before) / 1e9,
        kernels / batch, profiled / batch, profiled / kernels);
    // Roofline: the convolutions' arithmetic (backward = 2x forward: input and
    // weight gradients) at the best rate this machine reached in this run.
    const double fwd_rate = cost.conv_flop / cost.conv_forward_s;
    const double rate = std::max(peak_rate * 1e9, fwd_rate), step_flop = 3 * cost.conv_flop;
    std::printf(
        "  convolutions: %.0f GFLOP forward (%.1f GFLOP/s achieved), %.0f GFLOP backward (%.1f GFLOP/s), "
        "%.0f GFLOP in 2-step sampling\n"
        "  roofline at the best rate measured in this run (%.0f GFLOP/s): step >= %.2f s, 2-step sampling >= %.2f s\n",
        cost.conv_flop / batch * 1e-9, fwd_rate * 1e-9, 2 * cost.conv_flop / batch * 1e-9,
        2 * cost.conv_flop / cost.conv_backward_s * 1e-9, sampling_cost.conv_flop / batch * 1e-9, rate * 1e-9,
        step_flop / rate / batch, sampling_cost.conv_flop / rate / batch);
    if (reference_case)
      std::printf("  the reference's 6.0 s / 3.6 s need %.0f / %.0f GFLOP/s of convolution; ours / reference: %.2f / %.2f\n",
                  step_flop / batch / 6.0 * 1e-9, sampling_cost.conv_flop / batch / 3.6 * 1e-9, train / batch / 6.0,
                  sampling / batch / 3.6);
    print_top_self_times(events, 10);
    std::fflush(stdout);
  }
  if (reference_case)
    std::printf("reference (authors' PyTorch, FLEX-S, 2 threads): 6.0 s per training step, 3.6 s 2-step sampling\n");
  return 0;
}
