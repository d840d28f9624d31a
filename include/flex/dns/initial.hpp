// Initial vorticity fields of the DNS (SPEC §2).
#pragma once

#include <mpi.h>

#include <cstdint>

#include "flex/dns/slab.hpp"
#include "flex/dns/spectral.hpp"

namespace flex::io {
class FieldReader;
}

namespace flex::dns {

struct RunConfig;

// Kraichnan's spectrum E(k) = A k⁴ exp(−(k/k0)²), A = 4/(3√π k0⁵), so ∫₀^∞ E dk = ½.
double kraichnan_spectrum(double k, double k0);

// Decaying-turbulence start: ω̂(k) = √(k E(k)/π) e^{iζ(k)} n², random phases
// ζ from (seed, kx, ky) alone (so the field does not depend on the rank
// count, and grids of different size share their large scales), Hermitian so
// ω is real; modes on the kx = 0 / ky = 0 axes and at |kx| or |ky| = n/2 are
// zero. The lattice misses the axis modes of each shell, so the field is then
// scaled by one factor to the discrete energy E_h = ½⟨ψω⟩ = ½ exactly.
// Collective; writes the interior of omega.
void kraichnan(Spectral& fft, double k0, std::uint64_t seed, Field& omega);

// With run.check_finite, snapshot `index` of dns.init_file in the channel the
// run starts from (ω, the last) is scanned for NaN/Inf before the first step:
// a bad file is an InputError naming dns.init_file and the first bad value,
// not a blow-up at step 0. Collective over comm.
void require_finite_initial_file(const RunConfig& c, const io::FieldReader& reader, long index, MPI_Comm comm);

// Taylor–Green vortex ω = 2m cos(m x) cos(m y) (exact decay e^{−2m²t/Re}).
void taylor_green(long m, Field& omega);

}  // namespace flex::dns
