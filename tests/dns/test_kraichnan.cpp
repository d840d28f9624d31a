// The Kraichnan initial condition: energy ½ and the prescribed spectrum under
// the SPEC §6 convention.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fields.hpp"
#include "flex/dns/initial.hpp"
#include "flex/dns/solver.hpp"
#include "flex/dns/spectrum.hpp"
#include "flex/dns/verification.hpp"

namespace flex::dns {
namespace {

TEST(DnsKraichnan, SpectrumIntegratesToOneHalf) {
  // ∫₀^∞ A k⁴ e^{−(k/k0)²} dk = ½ (midpoint rule).
  double total = 0;
  for (double k = 0.0005; k < 100; k += 0.001) total += 0.001 * kraichnan_spectrum(k, 10.0);
  EXPECT_NEAR(total, 0.5, 1e-9);
}

TEST(DnsKraichnan, EnergyIsOneHalfAndSpectrumMatches) {
  const long n = 128;
  const double k0 = 10.0;
  Solver solver(test::world_slab(n), MPI_COMM_WORLD, Physics{});
  kraichnan(solver.spectral(), k0, 42, solver.mutable_vorticity());
  const Diagnostics d = solver.diagnostics();
  EXPECT_NEAR(d.energy, 0.5, 1e-13);
  EXPECT_NEAR(d.mean_vorticity, 0.0, 1e-13);
  const auto spectrum = vorticity_spectrum(solver.spectral(), solver.vorticity());
  ASSERT_EQ(static_cast<long>(spectrum.size()), n / 2 + 1);
  // Each mode carries es = E(|k|) times one global factor (the energy
  // normalisation), so each shell returns the mean of E over its lattice modes.
  const auto check = verify::kraichnan_check(n, k0, 42, MPI_COMM_WORLD);
  EXPECT_NEAR(check.energy, 0.5, 1e-13);
  EXPECT_NEAR(check.normalisation, 1.0, 0.05) << "energy normalisation moved the spectrum too far";
  EXPECT_LT(check.max_shell_deviation, 1e-10);
  // Against E(k) at the shell centre: shells average a convex k⁴ rise, so
  // compare where the shell is thin relative to k.
  for (long k = 7; k <= 3 * static_cast<long>(k0); ++k)
    EXPECT_NEAR(spectrum[k] / kraichnan_spectrum(double(k), k0), 1.0, 0.06) << "shell " << k;
}

// At 256^2 the tail past k ~ 4 k0 holds less than the FFT's round-off: the
// check judges the shells above 1e-6 of the peak (it reported 4.9e31 when it
// divided round-off by the underflowing tail), and those still to 1e-10.
TEST(DnsKraichnan, CheckJudgesTheShellsAboveRoundOff) {
  const auto check = verify::kraichnan_check(256, 10.0, 42, MPI_COMM_WORLD);
  EXPECT_LT(check.max_shell_deviation, 1e-10);
  EXPECT_GE(check.shells_judged, 30);   // past the peak (k = 10) well into the tail
  EXPECT_LT(check.shells_judged, 127);  // not the round-off shells
}

}  // namespace
}  // namespace flex::dns
