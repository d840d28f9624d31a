#include "flex/dns/spectrum.hpp"

#include <complex>

#include "flex/core/error.hpp"

namespace flex::dns {

std::vector<double> vorticity_spectrum(Spectral& fft, const Field& omega) {
  const long n = fft.slab().n;
  const double n2 = static_cast<double>(n) * static_cast<double>(n);
  const ShellRule rule{n / 2, false};
  fft.forward(omega);
  std::vector<double> sum(rule.kmax + 1, 0.0), count(rule.kmax + 1, 0.0);
  for (long q = fft.q_begin(); q < fft.q_end(); ++q) {
    const double weight = ShellRule::weight(q, n);
    for (long p = 0; p < n; ++p) {
      const long kx = Spectral::wavenumber(p, n);
      const double k = std::hypot(static_cast<double>(kx), static_cast<double>(q));
      const long shell = rule.shell(kx, q, k);
      if (shell == 0) continue;
      sum[shell] += ShellRule::vorticity_energy(weight * std::norm(fft.coeff(q, p) / n2), k);
      count[shell] += weight;
    }
  }
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sum.data(), rule.kmax + 1, MPI_DOUBLE, MPI_SUM, fft.comm()));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, count.data(), rule.kmax + 1, MPI_DOUBLE, MPI_SUM, fft.comm()));
  std::vector<double> spectrum(rule.kmax + 1, 0.0);
  for (long k = 1; k <= rule.kmax; ++k) spectrum[k] = count[k] > 0 ? sum[k] / count[k] : 0.0;
  return spectrum;
}

}  // namespace flex::dns
