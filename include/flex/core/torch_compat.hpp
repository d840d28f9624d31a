// Every place where the LibTorch C++ API differs between the generations flex
// builds against: 1.13 (Debian 12), 2.6 (Debian 13) and the 2.x of sites'
// pip wheels. Code elsewhere calls these and never tests TORCH_VERSION_*.
#pragma once

#include <ATen/autocast_mode.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>
#include <torch/version.h>

#define FLEX_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace flex::torch_compat {

// LibTorch 2.4 replaced the per-device autocast setters (CUDA and CPU only)
// by ones that take the device type.
#if FLEX_TORCH_AT_LEAST(2, 4)
inline bool autocast_enabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
inline void set_autocast_enabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
inline c10::ScalarType autocast_dtype(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
inline void set_autocast_dtype(c10::DeviceType d, c10::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
inline bool autocast_enabled(c10::DeviceType d) {
  return d == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
inline void set_autocast_enabled(c10::DeviceType d, bool on) {
  d == c10::DeviceType::CUDA ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on);
}
inline c10::ScalarType autocast_dtype(c10::DeviceType d) {
  return d == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
inline void set_autocast_dtype(c10::DeviceType d, c10::ScalarType t) {
  d == c10::DeviceType::CUDA ? at::autocast::set_autocast_gpu_dtype(t) : at::autocast::set_autocast_cpu_dtype(t);
}
#endif

}  // namespace flex::torch_compat

// LibTorch 2.3 made c10::Allocator::allocate non-const and added the pure
// virtual copy_data; an allocator that wraps another declares both through these.
#if FLEX_TORCH_AT_LEAST(2, 3)
#define FLEX_ALLOCATOR_ALLOCATE_CONST
#define FLEX_ALLOCATOR_HAS_COPY_DATA 1
#else
#define FLEX_ALLOCATOR_ALLOCATE_CONST const
#define FLEX_ALLOCATOR_HAS_COPY_DATA 0
#endif

// LibTorch 2.6's CPU GroupNorm backward on a channels-last input crashes
// (segfault in its parallel kernel; seen with Debian 13's 2.6.0, not with
// 1.13; other 2.x not checked): model::group_norm normalises such an input
// in NCHW while gradients are recorded.
#if FLEX_TORCH_AT_LEAST(2, 0)
#define FLEX_TORCH_CPU_GROUP_NORM_NHWC_BACKWARD_BROKEN 1
#else
#define FLEX_TORCH_CPU_GROUP_NORM_NHWC_BACKWARD_BROKEN 0
#endif
