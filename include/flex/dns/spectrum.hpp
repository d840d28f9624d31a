// Radially averaged energy spectrum of a vorticity field in the San & Staples
// convention (SPEC §6), which returns the Kraichnan E(k) of the initial field.
#pragma once

#include <Kokkos_Macros.hpp>

#include <cmath>
#include <vector>

#include "flex/dns/slab.hpp"
#include "flex/dns/spectral.hpp"

namespace flex::dns {

// The shell binning of that spectrum, mode by mode, for any layout of the
// half-plane (ky ≥ 0) r2c spectrum: vorticity_spectrum below and
// analysis::SpectrumEngine (inside Kokkos kernels, hence KOKKOS_INLINE_FUNCTION)
// both bin with it.
struct ShellRule {
  long kmax = 0;              // shells k = 1 … kmax
  bool include_axes = false;  // count modes with kx = 0 or ky = 0 (San & Staples leave them out)

  // Modes 0 < ky < n/2 of an r2c transform over n columns stand for themselves
  // and their conjugate twin (−kx, −ky).
  KOKKOS_INLINE_FUNCTION static double weight(long ky, long n) { return ky == 0 || 2 * ky == n ? 1.0 : 2.0; }

  // Shell of mode (kx, ky) at |k| = k: the k' with k' − ½ < |k| < k' + ½ (|k|²
  // is an integer, so |k| is never a half-integer); 0 when it is in none.
  KOKKOS_INLINE_FUNCTION long shell(long kx, long ky, double k) const {
    if (!include_axes && (kx == 0 || ky == 0)) return 0;
    const long s = static_cast<long>(k + 0.5);
    return s <= kmax ? s : 0;
  }

  // es = π |ω̂/n²|² / |k| of a mode with power |ω̂/n²|²: the 2π|k| ring of
  // modes of energy ½|û|² = ½|ω̂|²/|k|² each. E[k] is the mean of es over shell k.
  KOKKOS_INLINE_FUNCTION static double vorticity_energy(double power, double k) { return M_PI * power / k; }
};

// E[k] = mean of ShellRule::vorticity_energy over the modes off the kx = 0 and
// ky = 0 axes in shell k, k = 1 … n/2 (E[0] = 0). Collective; overwrites fft's
// spectral buffer.
std::vector<double> vorticity_spectrum(Spectral& fft, const Field& omega);

}  // namespace flex::dns
