// Forward real-to-complex 2D FFT of a row-slab field: FFTW-MPI on the host
// (output transposed: this rank holds wavenumbers ky in [ky0, ky0 + nky), every
// kx), or cuFFT on the device when Kokkos runs on CUDA and one rank holds the
// whole field. Plans are made once per shape and reused.
#pragma once

#include <memory>

#include "flex/analysis/view.hpp"

namespace flex::analysis {

// Unnormalised transform F[kx, ky] = sum_xy f[x, y] exp(-i (kx x + ky y) 2pi/N)
// for ky = 0 ... W/2 (the rest follow by conjugate symmetry).
struct HalfSpectrum {
  // (outer, inner, re/im). transposed: outer = ky - ky0, inner = kx index;
  // otherwise outer = kx index, inner = ky - ky0.
  Kokkos::View<const double** [2], Kokkos::LayoutRight, MemSpace, Unmanaged> data;
  bool transposed = true;
  long ky0 = 0;
};

class SlabFft {
 public:
  SlabFft(long rows, long cols, MPI_Comm comm);
  ~SlabFft();
  SlabFft(const SlabFft&) = delete;
  SlabFft& operator=(const SlabFft&) = delete;

  // Loads `field` (any row split) into the transform's own layout.
  void load(const SlabView& field);
  // Runs the transform on what load() put in; the result stays valid until the next load().
  HalfSpectrum execute();

  long rows() const { return rows_; }
  long cols() const { return cols_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  long rows_, cols_;
};

}  // namespace flex::analysis
