// The iteration space of the analysis kernels: every (row, column) of a plane.
// A 2D range keeps the index arithmetic out of the kernel bodies (a 64-bit
// division per element costs more than the metric itself on a CPU).
#pragma once

#include <Kokkos_Core.hpp>

#include "flex/analysis/view.hpp"

namespace flex::analysis {

using PlanePolicy = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>, Kokkos::IndexType<long>>;

inline PlanePolicy over_plane(long rows, long cols) { return PlanePolicy({0, 0}, {rows, cols}); }

}  // namespace flex::analysis
