// Verification problems of the DNS (SPEC §2), as library functions so the
// validation suite (`flex validate`) runs them on the user's build and
// machine. Every field is defined per global grid point, so results do not
// depend on the rank count. All functions are collective over comm.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>

#include "flex/dns/slab.hpp"

namespace flex::dns::verify {

// Fields defined per global grid point, so they do not depend on the rank
// count: f(x, y) sampled on the slab, and uniform noise in [-1, 1) keyed by
// (seed, global i, j).
Field sample(const Slab& s, const std::function<double(double, double)>& f);
Field noise(const Slab& s, std::uint64_t seed);

// Arakawa's discrete conservation on random periodic a, b: |ΣJ|, |Σ a J|,
// |Σ b J| and max |J(a,b) + J(b,a)|, each relative to Σ|J| max(|a|, |b|)
// (so round-off is ~1e-16 whatever the grid).
struct ArakawaIdentities {
  double sum_j = 0, sum_a_j = 0, sum_b_j = 0, antisymmetry = 0;
  double worst() const;
};
ArakawaIdentities arakawa_identities(long n, std::uint64_t seed, MPI_Comm comm);

// max |J_h(a, b) − J(a, b)| for a = sin x cos 2y, b = cos 3x sin y.
double jacobian_error(long n, MPI_Comm comm);

// max |∇²_h ψ + ω| / max |ω| after the FFT Poisson solve of random zero-mean ω.
double poisson_residual(long n, std::uint64_t seed, MPI_Comm comm);

// max |ω_h(T) − ω(T)| of the Taylor–Green vortex ω = 2m cos(mx) cos(my)
// e^{−2m²t/Re} (m = 2, Re = 20, Δt = 0.005, T = 0.5).
double taylor_green_error(long n, MPI_Comm comm);

// |E(T) − E(0)|, |Z(T) − Z(0)| and max |⟨ω⟩| of an inviscid 64² Kraichnan
// run (k0 = 4) to T = 0.4 with step dt.
struct Drift {
  double energy = 0, enstrophy = 0, mean_vorticity = 0;
};
Drift inviscid_drift(double dt, MPI_Comm comm);

// The Kraichnan initial field on n²: its discrete energy (½ by
// construction), and the largest relative deviation of its spectrum (SPEC §6
// convention) from the shell-averaged E(k), after the one global
// normalisation factor.
struct KraichnanCheck {
  double energy = 0;
  double normalisation = 0;  // the global factor (close to 1)
  double max_shell_deviation = 0;  // over shells 1..shells_judged holding >= 1e-6 of the peak energy
  long shells_judged = 0;
};
KraichnanCheck kraichnan_check(long n, double k0, std::uint64_t seed, MPI_Comm comm);

}  // namespace flex::dns::verify
