// The convolutions and matrix products of a profiled step: their time on the
// calling CPU threads and the convolutions' arithmetic, from the recorded
// input shapes (the same on any device). Shared by bench_model and the GPU
// check (on a GPU the times are launch times; only the FLOP count is used).
#pragma once

#include <torch/csrc/autograd/profiler_legacy.h>

#include <functional>

namespace flex::bench {

struct KernelCost {
  double seconds = 0;      // conv + matmul, outermost ranges
  double conv_flop = 0;    // forward convolutions: 2 N Cout Cin kh kw H W (stride 1, same padding, as in FLEX)
  double conv_forward_s = 0, conv_backward_s = 0;
};

using ProfiledEvents = torch::autograd::profiler::thread_event_lists;

// The events of f() under LibTorch's CPU profiler, with input shapes.
ProfiledEvents profile(const std::function<void()>& f);

KernelCost kernel_cost(const ProfiledEvents& lists);

// The operators taking the most exclusive (self) time, one line each.
void print_top_self_times(const ProfiledEvents& lists, int top);

}  // namespace flex::bench
