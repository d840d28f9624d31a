// How the network computes: the precision of its arithmetic (LibTorch
// autocast, deck key run.precision) and the memory layout of its activations
// (run.memory_format). Whatever the precision, master weights, optimiser
// state, EMA, losses and the sampler's arithmetic stay fp32: callers run only
// the network under an AutocastScope and take its output back to fp32.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <mpi.h>

#include <cstdint>
#include <string>

namespace torch::nn {
class Module;
}
namespace flex {
struct RunSettings;
}

namespace flex::model {

enum class Precision { FP32, BF16, FP16 };
enum class MemoryLayout { Auto, NCHW, NHWC };

Precision parse_precision(const std::string& word);         // fp32 | bf16 | fp16
MemoryLayout parse_memory_layout(const std::string& word);  // auto | nchw | nhwc
const char* precision_name(Precision p);
const char* memory_layout_name(MemoryLayout l);
c10::ScalarType compute_dtype(Precision p);  // kFloat, kBFloat16, kHalf

// The reason `p` cannot run on `device` (fp16 needs CUDA: CPU autocast has no
// half precision, and fp16 without loss scaling under/overflows), or "".
std::string precision_unsupported(Precision p, c10::DeviceType device);

// Network code inside this scope runs its matrix products and convolutions in
// `p` on `device` (no-op for FP32). Scopes nest; the cache of weights cast to
// `p` lives until the outermost scope closes, so one scope around a whole
// sampling loop casts the weights once.
class AutocastScope {
 public:
  AutocastScope(Precision p, c10::DeviceType device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_ = c10::DeviceType::CPU;
  bool was_enabled_ = false;
  c10::ScalarType was_dtype_ = c10::ScalarType::Float;
};

// f() (network code) under autocast in `p`, its result back in fp32 for the
// fp32 arithmetic around the network (losses, sampler updates).
template <class F>
at::Tensor in_precision(Precision p, c10::DeviceType device, F&& f) {
  AutocastScope scope(p, device);
  return f().to(at::kFloat);
}

// Stores the module's 4-D parameters and buffers (convolution weights) in
// `layout` (NHWC = channels-last). LibTorch's convolutions then produce and
// propagate activations in that layout: PyTorch's model.to(memory_format=...).
void apply_memory_layout(torch::nn::Module& module, MemoryLayout layout);

// What run.memory_format = auto measured: the time of a representative layer
// (GroupNorm, SiLU, 3x3 convolution; forward, and backward when training) in
// each layout, and the faster one.
struct LayoutChoice {
  MemoryLayout layout = MemoryLayout::NCHW;
  bool measured = false;  // false: the deck fixed the layout
  double nchw_s = 0, nhwc_s = 0;
};
struct LayoutProbe {
  std::int64_t channels = 64, img = 256, batch = 1;
  bool backward = true;
  Precision precision = Precision::FP32;
  c10::Device device = c10::Device(c10::DeviceType::CPU);
};
// NHWC is chosen only when the layer runs in under kNhwcThreshold of its NCHW
// time: the rest of the network gains less from channels-last than the
// probed layer (on the AVX512-BF16 build host the layer's 13-25 % advantage
// in sampling came out as a tie or 2-9 % slower for the whole FLEX-S, and
// its 7-11 % disadvantage in training as 20-60 %; bench_model prints both).
constexpr double kNhwcThreshold = 0.75;
LayoutChoice choose_memory_layout(MemoryLayout asked, const LayoutProbe& probe);
// "nhwc (measured: nchw 41.2 ms, nhwc 22.0 ms per layer)" or "nchw (run.memory_format)".
std::string describe(const LayoutChoice& c);

// What a job's network runs with: run.precision, and run.memory_format
// settled (auto measured on every rank at once, rank 0's choice taken, so all
// ranks agree) and applied to `module`. Logs both, and warns when bf16 runs
// on a CPU without bf16 instructions (emulated: slower than fp32).
struct Compute {
  Precision precision = Precision::FP32;
  LayoutChoice layout;
};
Compute set_up_compute(torch::nn::Module& module, const RunSettings& run, const LayoutProbe& probe, MPI_Comm comm);

}  // namespace flex::model
