#include "flex/dns/spectrum.hpp"

#include <cmath>

#include "flex/core/error.hpp"

namespace flex::dns {

std::vector<double> vorticity_spectrum(Spectral& fft, const Field& omega) {
  const long n = fft.slab().n, shells = n / 2;
  const double n2 = static_cast<double>(n) * static_cast<double>(n);
  fft.forward(omega);
  std::vector<double> sum(shells + 1, 0.0), count(shells + 1, 0.0);
  for (long q = std::max(fft.q_begin(), 1L); q < fft.q_end(); ++q) {
    // Columns 0 < q < n/2 stand for the mode and its conjugate (−kx, −q).
    const double weight = q < n / 2 ? 2.0 : 1.0;
    for (long p = 0; p < n; ++p) {
      const long kx = Spectral::wavenumber(p, n);
      if (kx == 0) continue;
      const double k = std::hypot(static_cast<double>(kx), static_cast<double>(q));
      const long shell = std::lround(k);
      if (shell < 1 || shell > shells || std::abs(k - shell) >= 0.5) continue;
      sum[shell] += weight * M_PI * std::norm(fft.coeff(q, p) / n2) / k;
      count[shell] += weight;
    }
  }
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sum.data(), shells + 1, MPI_DOUBLE, MPI_SUM, fft.comm()));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, count.data(), shells + 1, MPI_DOUBLE, MPI_SUM, fft.comm()));
  std::vector<double> spectrum(shells + 1, 0.0);
  for (long k = 1; k <= shells; ++k) spectrum[k] = count[k] > 0 ? sum[k] / count[k] : 0.0;
  return spectrum;
}

}  // namespace flex::dns
