#include "kernel_cost.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace flex::bench {

namespace {

using torch::autograd::profiler::EventKind;
using torch::autograd::profiler::LegacyEvent;

double conv_flop(const std::vector<std::vector<std::int64_t>>& shapes, bool backward) {
  const auto& x = shapes.at(backward ? 1 : 0);  // convolution(input, weight, ...); convolution_backward(grad, input, weight, ...)
  const auto& w = shapes.at(backward ? 2 : 1);
  if (x.size() != 4 || w.size() != 4) return 0;
  return 2.0 * x[0] * w[0] * w[1] * w[2] * w[3] * x[2] * x[3];
}

}  // namespace

ProfiledEvents profile(const std::function<void()>& f) {
  torch::autograd::profiler::enableProfilerLegacy(
      torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true));
  f();
  return torch::autograd::profiler::disableProfilerLegacy();
}

KernelCost kernel_cost(const ProfiledEvents& lists) {
  static const std::set<std::string> kernels{"aten::convolution", "aten::convolution_backward", "aten::mm",
                                             "aten::addmm",       "aten::bmm",                  "aten::baddbmm"};
  KernelCost cost;
  for (const auto& events : lists) {
    std::vector<std::pair<const LegacyEvent*, bool>> stack;  // event, is kernel
    int inside = 0;  // outermost kernel ranges only, so nested calls are not counted twice
    for (const auto& e : events) {
      if (e.kind() == EventKind::PushRange) {
        const bool k = kernels.count(e.name()) > 0;
        stack.emplace_back(&e, k);
        inside += k;
      } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
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

void print_top_self_times(const ProfiledEvents& lists, int top) {
  std::map<std::string, double> self_us;
  for (const auto& events : lists) {
    struct Open {
      const LegacyEvent* start;
      double children_us;
    };
    std::vector<Open> stack;
    for (const auto& e : events) {
      if (e.kind() == EventKind::PushRange) {
        stack.push_back({&e, 0.0});
      } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
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

}  // namespace flex::bench
