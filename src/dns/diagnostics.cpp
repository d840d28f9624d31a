#include "flex/dns/diagnostics.hpp"

#include <algorithm>
#include <cmath>

#include "flex/core/error.hpp"

namespace flex::dns {

Diagnostics diagnose(const Field& omega, const Field& psi, MPI_Comm comm) {
  const long n = omega.slab().n, rows = omega.slab().rows;
  const double half_inv_h = 0.5 / omega.slab().h();
  double local[3] = {0, 0, 0};  // Σψω, Σω², Σω
  double peaks[2] = {0, 0};     // max|ω|, max(|u|+|v|)
  for (long i = 0; i < rows; ++i) {
    const double *w = omega.row(i), *pm = psi.row(i - 1), *p0 = psi.row(i), *pp = psi.row(i + 1);
    for (long j = 0; j < n; ++j) {
      local[0] += p0[j] * w[j];
      local[1] += w[j] * w[j];
      local[2] += w[j];
      peaks[0] = std::max(peaks[0], std::abs(w[j]));
      const double speed = half_inv_h * (std::abs(p0[j + 1] - p0[j - 1]) + std::abs(pp[j] - pm[j]));
      peaks[1] = std::max(peaks[1], speed);
    }
  }
  double sums[3], maxima[2];
  FLEX_CHECK_MPI(MPI_Allreduce(local, sums, 3, MPI_DOUBLE, MPI_SUM, comm));
  FLEX_CHECK_MPI(MPI_Allreduce(peaks, maxima, 2, MPI_DOUBLE, MPI_MAX, comm));
  const double points = static_cast<double>(n) * static_cast<double>(n);
  Diagnostics d;
  d.energy = 0.5 * sums[0] / points;
  d.enstrophy = 0.5 * sums[1] / points;
  d.mean_vorticity = sums[2] / points;
  d.max_vorticity = maxima[0];
  d.max_speed = maxima[1];
  return d;
}

}  // namespace flex::dns
