// Radially averaged energy spectrum of a vorticity field in the San & Staples
// convention (SPEC §6), which returns the Kraichnan E(k) of the initial field.
#pragma once

#include <vector>

#include "flex/dns/slab.hpp"
#include "flex/dns/spectral.hpp"

namespace flex::dns {

// es = π |ω̂/n²|² / |k| per mode; E[k] = mean of es over the modes off the
// kx = 0 and ky = 0 axes with k − ½ < |k| < k + ½, k = 1 … n/2 (E[0] = 0).
// Collective; overwrites fft's spectral buffer.
std::vector<double> vorticity_spectrum(Spectral& fft, const Field& omega);

}  // namespace flex::dns
