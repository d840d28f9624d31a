// What the process runs on, for logs and benchmark headers.
#pragma once

#include <cstddef>
#include <string>

namespace flex::sysinfo {

// Real path of the BLAS library loaded into this process (LibTorch calls
// whatever libblas.so.3 the alternatives system selects), or "none loaded".
std::string active_blas();
// Peak resident set size of this process so far, bytes.
std::size_t peak_rss_bytes();
// Current resident set size, bytes.
std::size_t current_rss_bytes();
std::string hostname();

// The git commit this build was made from ("<12 hex>[-dirty]", or "unknown"
// outside a git checkout), refreshed at every build.
std::string build_commit();

// The CPU's vector features that decide precision and layout choices, as
// /proc/cpuinfo names them: "avx2 avx512f avx512_bf16 amx_bf16" (those present;
// "none of avx2 avx512f avx512_bf16 amx_bf16" when none is).
std::string cpu_features();
// AVX512-BF16 or AMX-BF16: bf16 arithmetic in hardware, not emulated.
bool cpu_has_native_bf16();

// Allocator policy for the executable and the benchmarks: glibc malloc keeps
// freed large blocks (activations, gradients) instead of returning them to
// the OS; re-faulting them made training steps up to 4x slower.
void keep_freed_memory();

}  // namespace flex::sysinfo
