#include "flex/dns/initial.hpp"

#include <cmath>
#include <complex>

#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"
#include "flex/dns/config.hpp"
#include "flex/dns/diagnostics.hpp"
#include "flex/io/fields.hpp"
#include "flex/io/finite.hpp"

namespace flex::dns {

void require_finite_initial_file(const RunConfig& c, const io::FieldReader& reader, long index, MPI_Comm comm) {
  if (!c.run.check_finite) return;
  io::require_finite(reader, {index}, {reader.shape().c - 1}, comm, "dns.init_file");
}

double kraichnan_spectrum(double k, double k0) {
  const double a = 4.0 / (3.0 * std::sqrt(M_PI) * std::pow(k0, 5));
  return a * std::pow(k, 4) * std::exp(-(k / k0) * (k / k0));
}

namespace {
// Uniform [0, 1) from the top 53 bits of a 64-bit seed.
double unit_interval(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }
}  // namespace

void kraichnan(Spectral& fft, double k0, std::uint64_t seed, Field& omega) {
  const long n = fft.slab().n;
  const double n2 = static_cast<double>(n) * static_cast<double>(n);
  for (long q = fft.q_begin(); q < fft.q_end(); ++q) {
    for (long p = 0; p < n; ++p) {
      const long kx = Spectral::wavenumber(p, n), ky = q;
      if (kx == 0 || ky == 0 || std::abs(kx) == n / 2 || ky == n / 2) {
        fft.coeff(q, p) = 0.0;
        continue;
      }
      const double k = std::hypot(static_cast<double>(kx), static_cast<double>(ky));
      const double amplitude = std::sqrt(k * kraichnan_spectrum(k, k0) / M_PI) * n2;
      const auto mode_seed = derive_seed(seed, Stream::kInitialCondition,
                                         {static_cast<std::uint64_t>(kx), static_cast<std::uint64_t>(ky)});
      fft.coeff(q, p) = std::polar(amplitude, 2.0 * M_PI * unit_interval(mode_seed));
    }
  }
  fft.backward(omega);
  Field psi(omega.slab());
  fft.solve_poisson(omega, psi);
  exchange_halos(psi, fft.comm());
  const double energy = diagnose(omega, psi, fft.comm()).energy;
  FLEX_CHECK(energy > 0, "Kraichnan field has no energy (grid too coarse for k0 = " << k0 << "?)");
  const double scale = std::sqrt(0.5 / energy);
  for (long i = 0; i < omega.slab().rows; ++i)
    for (long j = 0; j < n; ++j) omega(i, j) *= scale;
}

void taylor_green(long m, Field& omega) {
  const Slab& s = omega.slab();
  const double h = s.h(), mm = static_cast<double>(m);
  for (long i = 0; i < s.rows; ++i)
    for (long j = 0; j < s.n; ++j)
      omega(i, j) = 2.0 * mm * std::cos(mm * coordinate(s.row0 + i, h)) * std::cos(mm * coordinate(j, h));
}

}  // namespace flex::dns
