#include "flex/dns/spectral.hpp"

#include <fftw3-mpi.h>

#include <cmath>
#include <mutex>
#include <vector>

#include "flex/core/error.hpp"
#include "flex/dns/fftw_mpi_init.hpp"

namespace flex::dns {

void init_fftw_mpi() {
  static std::once_flag once;
  std::call_once(once, [] { fftw_mpi_init(); });
}

Spectral::Spectral(const Slab& slab, MPI_Comm comm, Planner planner) : slab_(slab), comm_(comm) {
  init_fftw_mpi();
  const ptrdiff_t n = slab.n, nc = slab.n / 2 + 1;
  ptrdiff_t local_n0 = 0, local_0_start = 0, local_n1 = 0, local_1_start = 0;
  const ptrdiff_t alloc = fftw_mpi_local_size_2d_transposed(n, nc, comm, &local_n0, &local_0_start, &local_n1,
                                                            &local_1_start);
  FLEX_CHECK(local_n0 == slab.rows && local_0_start == slab.row0,
             "FFTW-MPI row split " << local_0_start << "+" << local_n0 << " differs from the slab " << slab.row0
                                   << "+" << slab.rows);
  q0_ = local_1_start;
  nq_ = local_n1;
  data_ = reinterpret_cast<std::complex<double>*>(fftw_alloc_complex(alloc > 0 ? alloc : 1));
  FLEX_CHECK(data_ != nullptr, "FFTW could not allocate " << alloc << " complex values");
  const unsigned flags = planner == Planner::Measure ? FFTW_MEASURE : FFTW_ESTIMATE;
  auto* real = reinterpret_cast<double*>(data_);
  auto* cplx = reinterpret_cast<fftw_complex*>(data_);
  r2c_ = fftw_mpi_plan_dft_r2c_2d(n, n, real, cplx, comm, flags | FFTW_MPI_TRANSPOSED_OUT);
  c2r_ = fftw_mpi_plan_dft_c2r_2d(n, n, cplx, real, comm, flags | FFTW_MPI_TRANSPOSED_IN);
  FLEX_CHECK(r2c_ != nullptr && c2r_ != nullptr, "FFTW-MPI could not plan a " << n << "^2 transform");
}

Spectral::~Spectral() {
  if (r2c_) fftw_destroy_plan(r2c_);
  if (c2r_) fftw_destroy_plan(c2r_);
  if (data_) fftw_free(data_);
}

void Spectral::forward(const Field& f) {
  const long n = slab_.n, padded = 2 * (n / 2 + 1);
  auto* real = reinterpret_cast<double*>(data_);
  for (long i = 0; i < slab_.rows; ++i) {
    const double* src = f.row(i);
    double* dst = real + i * padded;
    for (long j = 0; j < n; ++j) dst[j] = src[j];
  }
  fftw_execute(r2c_);
}

void Spectral::backward(Field& f) {
  fftw_execute(c2r_);
  const long n = slab_.n, padded = 2 * (n / 2 + 1);
  const double scale = 1.0 / (static_cast<double>(n) * static_cast<double>(n));
  const auto* real = reinterpret_cast<const double*>(data_);
  for (long i = 0; i < slab_.rows; ++i) {
    const double* src = real + i * padded;
    double* dst = f.row(i);
    for (long j = 0; j < n; ++j) dst[j] = scale * src[j];
  }
}

void Spectral::solve_poisson(const Field& omega, Field& psi) {
  forward(omega);
  const long n = slab_.n;
  const double h2 = slab_.h() * slab_.h();
  std::vector<double> lx(n);
  for (long p = 0; p < n; ++p) lx[p] = (2.0 * std::cos(2.0 * M_PI * p / n) - 2.0) / h2;
  for (long q = q0_; q < q0_ + nq_; ++q) {
    const double ly = (2.0 * std::cos(2.0 * M_PI * q / n) - 2.0) / h2;
    std::complex<double>* row = data_ + (q - q0_) * n;
    for (long p = 0; p < n; ++p) {
      const double lambda = lx[p] + ly;
      row[p] = lambda != 0.0 ? row[p] * (-1.0 / lambda) : 0.0;
    }
  }
  backward(psi);
}

}  // namespace flex::dns
