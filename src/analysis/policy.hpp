// The iteration spaces of the analysis kernels. A 2D range keeps index
// arithmetic out of the kernel bodies (a 64-bit division per element costs
// more than the metric itself on a CPU). Reductions run over strips of
// kStrip columns with four independent partial sums, so a CPU core is not
// held to one floating-point add per latency; on a device a strip is one
// column (one thread per pixel).
#pragma once

#include <Kokkos_Core.hpp>

#include "flex/analysis/view.hpp"

namespace flex::analysis {

using PlanePolicy = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>, Kokkos::IndexType<long>>;

inline PlanePolicy over_plane(long rows, long cols) { return PlanePolicy({0, 0}, {rows, cols}); }

constexpr long kStrip = Kokkos::SpaceAccessibility<ExecSpace, Kokkos::HostSpace>::accessible ? 32 : 1;
constexpr int kLanes = 4;

// Work item (r, s) covers columns [s kStrip, min((s + 1) kStrip, cols)) of row r.
inline PlanePolicy over_strips(long rows, long cols) { return PlanePolicy({0, 0}, {rows, (cols + kStrip - 1) / kStrip}); }

// f(column, lane) for every column of strip s; lanes 0..kLanes-1 take turns so
// each can own an independent accumulator.
template <class F>
KOKKOS_FORCEINLINE_FUNCTION void for_strip(long s, long cols, const F& f) {
  const long j0 = s * kStrip, j1 = j0 + kStrip < cols ? j0 + kStrip : cols;
  long j = j0;
  for (; j + kLanes <= j1; j += kLanes)
    for (int l = 0; l < kLanes; ++l) f(j + l, l);
  for (; j < j1; ++j) f(j, 0);
}

}  // namespace flex::analysis
