// 2D real FFTs of slab fields through FFTW-MPI (slab decomposition over the
// x rows, transposed spectral layout so one transpose per transform suffices),
// and the Poisson solve that exactly inverts the 5-point Laplacian (SPEC §2).
#pragma once

#include <mpi.h>

#include <complex>

#include "flex/dns/slab.hpp"

struct fftw_plan_s;

namespace flex::dns {

// Estimate: plans chosen by heuristics, identical in every run, so restarts
// are bit-for-bit. Measure: timed plans, faster, but may differ run to run.
enum class Planner { Estimate, Measure };

class Spectral {
 public:
  // Collective over comm; slab must be this rank's share of comm's grid.
  Spectral(const Slab& slab, MPI_Comm comm, Planner planner = Planner::Estimate);
  ~Spectral();
  Spectral(const Spectral&) = delete;
  Spectral& operator=(const Spectral&) = delete;

  const Slab& slab() const { return slab_; }
  MPI_Comm comm() const { return comm_; }

  // coeffs = Σ f e^{−i(p x + q y)} (unnormalised, as numpy.fft.fft2). Collective.
  void forward(const Field& f);
  // f (interior) = (1/n²) Σ coeffs e^{i(p x + q y)} (numpy.fft.ifft2 of a
  // Hermitian spectrum). Collective.
  void backward(Field& f);
  // ψ with ∇²_h ψ = −ω for the 5-point ∇²_h: ψ̂ = −ω̂ / λ_pq,
  // λ_pq = (2cos(2πp/n) − 2)/h² + (2cos(2πq/n) − 2)/h², ψ̂₀₀ = 0. Collective.
  void solve_poisson(const Field& omega, Field& psi);

  // Local spectral block: y-wavenumbers q in [q_begin, q_end) (0 ≤ q ≤ n/2,
  // the halved r2c axis), every x index p in [0, n).
  long q_begin() const { return q0_; }
  long q_end() const { return q0_ + nq_; }
  std::complex<double>& coeff(long q, long p) { return data_[(q - q0_) * slab_.n + p]; }
  std::complex<double> coeff(long q, long p) const { return data_[(q - q0_) * slab_.n + p]; }

  // Signed wavenumber of FFT index p on n points: 0..n/2−1, then −n/2..−1.
  static long wavenumber(long p, long n) { return p < n / 2 ? p : p - n; }

 private:
  Slab slab_;
  MPI_Comm comm_;
  long q0_ = 0, nq_ = 0;
  std::complex<double>* data_ = nullptr;  // in-place buffer: padded real rows, then spectrum
  fftw_plan_s* r2c_ = nullptr;
  fftw_plan_s* c2r_ = nullptr;
};

}  // namespace flex::dns
