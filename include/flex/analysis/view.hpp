// Kokkos views the analysis kernels work on, and the row-slab description of a
// field distributed over ranks. External memory (HDF5 read buffers, LibTorch
// tensors) is wrapped as unmanaged views, never copied: the caller keeps it
// alive. Memory lives where the default execution space wants it (host here,
// the GPU in a device build).
#pragma once

#include <mpi.h>

#include <Kokkos_Core.hpp>

namespace flex::analysis {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;
using Unmanaged = Kokkos::MemoryTraits<Kokkos::Unmanaged>;

// One 2D plane (rows, columns) of float32 samples, row-major, not owned.
using ConstPlane = Kokkos::View<const float**, Kokkos::LayoutRight, MemSpace, Unmanaged>;
// K planes of the same shape: ensemble members (member, rows, columns), not owned.
using ConstStack = Kokkos::View<const float***, Kokkos::LayoutRight, MemSpace, Unmanaged>;

// Owned double-precision work arrays.
using Plane = Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>;
using Vector = Kokkos::View<double*, MemSpace>;

// Zero-copy adapter over a contiguous buffer already in MemSpace (an HDF5 read
// buffer, a tensor's data_ptr()): rows x cols, row-major.
inline ConstPlane wrap_plane(const float* data, long rows, long cols) {
  return ConstPlane(data, static_cast<size_t>(rows), static_cast<size_t>(cols));
}
inline ConstStack wrap_stack(const float* data, long members, long rows, long cols) {
  return ConstStack(data, static_cast<size_t>(members), static_cast<size_t>(rows), static_cast<size_t>(cols));
}

// A field of global_rows x cols split over the ranks of `comm` by contiguous
// row slabs: this rank holds rows [row0, row0 + local.extent(0)). Any split is
// allowed (also empty slabs); every kernel reduces with MPI sums, so results do
// not depend on the split beyond round-off.
struct SlabView {
  ConstPlane local;
  long row0 = 0;
  long global_rows = 0;
  MPI_Comm comm = MPI_COMM_WORLD;

  long rows() const { return static_cast<long>(local.extent(0)); }
  long cols() const { return static_cast<long>(local.extent(1)); }
  long global_count() const { return global_rows * cols(); }
};

// The same field as a stack of ensemble members, split identically.
struct StackSlab {
  ConstStack local;
  long row0 = 0;
  long global_rows = 0;
  MPI_Comm comm = MPI_COMM_WORLD;

  long members() const { return static_cast<long>(local.extent(0)); }
  long rows() const { return static_cast<long>(local.extent(1)); }
  long cols() const { return static_cast<long>(local.extent(2)); }
};

// The affine map a*x + b applied to truth and prediction before a metric
// (z-scoring with given or per-sample statistics); identity by default.
struct Affine {
  double scale = 1.0;
  double shift = 0.0;
};

}  // namespace flex::analysis
