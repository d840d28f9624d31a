#include "flex/model/compute.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "flex/core/collectives.hpp"
#include "flex/core/config.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/system_info.hpp"
#include "flex/core/torch_compat.hpp"
#include "flex/model/norms.hpp"

namespace flex::model {

Precision parse_precision(const std::string& word) {
  if (word == "fp32") return Precision::FP32;
  if (word == "bf16") return Precision::BF16;
  if (word == "fp16") return Precision::FP16;
  FLEX_REQUIRE(false, "run.precision = '" << word << "': expected one of fp32, bf16, fp16");
  return Precision::FP32;
}

MemoryLayout parse_memory_layout(const std::string& word) {
  if (word == "auto") return MemoryLayout::Auto;
  if (word == "nchw") return MemoryLayout::NCHW;
  if (word == "nhwc") return MemoryLayout::NHWC;
  FLEX_REQUIRE(false, "run.memory_format = '" << word << "': expected one of auto, nchw, nhwc");
  return MemoryLayout::Auto;
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::BF16: return "bf16";
    case Precision::FP16: return "fp16";
  }
  return "?";
}

const char* memory_layout_name(MemoryLayout l) {
  switch (l) {
    case MemoryLayout::Auto: return "auto";
    case MemoryLayout::NCHW: return "nchw";
    case MemoryLayout::NHWC: return "nhwc";
  }
  return "?";
}

c10::ScalarType compute_dtype(Precision p) {
  switch (p) {
    case Precision::FP32: return at::kFloat;
    case Precision::BF16: return at::kBFloat16;
    case Precision::FP16: return at::kHalf;
  }
  return at::kFloat;
}

std::string precision_unsupported(Precision p, c10::DeviceType device) {
  if (p == Precision::FP16 && device != c10::DeviceType::CUDA)
    return "fp16 runs on CUDA only (with loss scaling); use bf16 on CPU";
  return "";
}

using torch_compat::autocast_dtype;
using torch_compat::autocast_enabled;
using torch_compat::set_autocast_dtype;
using torch_compat::set_autocast_enabled;

AutocastScope::AutocastScope(Precision p, c10::DeviceType device) : device_(device) {
  if (p == Precision::FP32) return;
  const auto why = precision_unsupported(p, device);
  FLEX_CHECK(why.empty(), why);
  active_ = true;
  was_enabled_ = autocast_enabled(device);
  was_dtype_ = autocast_dtype(device);
  set_autocast_enabled(device, true);
  set_autocast_dtype(device, compute_dtype(p));
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // As torch.autocast's __exit__: the cast-weight cache dies with the outermost scope.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(device_, was_enabled_);
  set_autocast_dtype(device_, was_dtype_);
}

void apply_memory_layout(torch::nn::Module& module, MemoryLayout layout) {
  FLEX_CHECK(layout != MemoryLayout::Auto, "apply_memory_layout needs a layout chosen by choose_memory_layout");
  const auto format = layout == MemoryLayout::NHWC ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  auto convert = [format](at::Tensor& t) {
    if (t.defined() && t.dim() == 4 && !t.is_contiguous(format)) t.set_data(t.contiguous(format));
  };
  for (auto& p : module.parameters()) convert(p);
  for (auto& b : module.buffers()) convert(b);
}

namespace {

double seconds_of(const std::function<void()>& f, const c10::Device& device) {
  using Clock = std::chrono::steady_clock;
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize(device.index() < 0 ? -1 : device.index());
  };
  f();  // warm-up: oneDNN primitive creation, allocator
  sync();
  constexpr int kReps = 3;
  double best = 1e30;
  for (int i = 0; i < kReps; ++i) {
    const auto t0 = Clock::now();
    f();
    sync();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

// GroupNorm -> SiLU -> 3x3 convolution, FLEX's ResBlock layer, in `format`.
double time_layer(const LayoutProbe& p, at::MemoryFormat format) {
  const auto opts = torch::TensorOptions().device(p.device);
  // A generator of its own: the probe must not move the run's default streams.
  auto gen = at::detail::createCPUGenerator(0);
  const auto cpu = torch::TensorOptions().dtype(at::kFloat);
  auto x = torch::randn({std::max<std::int64_t>(1, p.batch), p.channels, p.img, p.img}, gen, cpu)
               .to(p.device)
               .contiguous(format);
  auto w = torch::randn({p.channels, p.channels, 3, 3}, gen, cpu)
               .mul_(0.05)
               .to(p.device)
               .contiguous(format)
               .requires_grad_(p.backward);
  auto gamma = torch::ones({p.channels}, opts).requires_grad_(p.backward);
  auto beta = torch::zeros({p.channels}, opts).requires_grad_(p.backward);
  const auto groups = p.channels % 32 == 0 ? 32 : 1;
  return seconds_of(
      [&] {
        if (!p.backward) {
          torch::NoGradGuard no_grad;
          AutocastScope scope(p.precision, p.device.type());
          torch::conv2d(torch::silu(group_norm(x, groups, gamma, beta, 1e-5)), w, {}, 1, 1);
          return;
        }
        at::Tensor y;
        {
          AutocastScope scope(p.precision, p.device.type());
          y = torch::conv2d(torch::silu(group_norm(x, groups, gamma, beta, 1e-5)), w, {}, 1, 1);
        }
        y.to(at::kFloat).sum().backward();
        w.mutable_grad().reset();
        gamma.mutable_grad().reset();
        beta.mutable_grad().reset();
      },
      p.device);
}

}  // namespace

LayoutChoice choose_memory_layout(MemoryLayout asked, const LayoutProbe& probe) {
  LayoutChoice c;
  if (asked != MemoryLayout::Auto) {
    c.layout = asked;
    return c;
  }
  c.measured = true;
  c.nchw_s = time_layer(probe, at::MemoryFormat::Contiguous);
  c.nhwc_s = time_layer(probe, at::MemoryFormat::ChannelsLast);
  c.layout = c.nhwc_s < kNhwcThreshold * c.nchw_s ? MemoryLayout::NHWC : MemoryLayout::NCHW;
  return c;
}

std::string describe(const LayoutChoice& c) {
  if (!c.measured) return std::string(memory_layout_name(c.layout)) + " (run.memory_format)";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s (measured per GroupNorm+SiLU+conv3x3 layer: nchw %.1f ms, nhwc %.1f ms)",
                memory_layout_name(c.layout), c.nchw_s * 1e3, c.nhwc_s * 1e3);
  return buf;
}

Compute set_up_compute(torch::nn::Module& module, const RunSettings& run, const LayoutProbe& probe, MPI_Comm comm) {
  Compute c;
  c.precision = parse_precision(run.precision);
  if (c.precision == Precision::BF16 && probe.device.is_cpu() && !sysinfo::cpu_has_native_bf16())
    log::warn("run.precision = bf16 on a CPU without AVX512-BF16 or AMX (", sysinfo::cpu_features(),
              "): bf16 is emulated there and usually slower than fp32");
  LayoutProbe p = probe;
  p.precision = c.precision;
  // A probe that fails on one rank (out of device memory) fails on all.
  mpi::agree(comm, [&] { c.layout = choose_memory_layout(parse_memory_layout(run.memory_format), p); });
  // Timings differ between ranks; the layout must not (same arithmetic everywhere).
  const auto chosen = mpi::broadcast(memory_layout_name(c.layout.layout), comm);
  c.layout.layout = parse_memory_layout(chosen);
  apply_memory_layout(module, c.layout.layout);
  log::info("compute: precision ", precision_name(c.precision), ", memory format ", describe(c.layout), "; CPU ",
            sysinfo::cpu_features());
  return c;
}

}  // namespace flex::model
