// Global diagnostics of a DNS state (collective reductions over the slabs).
#pragma once

#include <mpi.h>

#include "flex/dns/slab.hpp"

namespace flex::dns {

struct Diagnostics {
  double energy = 0;          // E_h = ½⟨ψω⟩ (conserved by Arakawa + exact Poisson when inviscid)
  double enstrophy = 0;       // Z_h = ½⟨ω²⟩
  double max_vorticity = 0;   // max |ω|
  double max_speed = 0;       // max (|u| + |v|), u, v by central differences
  double mean_vorticity = 0;  // ⟨ω⟩ (zero on a periodic box)
};

// ψ must solve ∇²_h ψ = −ω and have its halos filled.
Diagnostics diagnose(const Field& omega, const Field& psi, MPI_Comm comm);

// Advective CFL number of RK3 with central differences: Δt max(|u| + |v|) / h;
// stable up to √3 (the imaginary-axis reach of Shu–Osher RK3).
inline double cfl_number(const Diagnostics& d, double dt, double h) { return dt * d.max_speed / h; }
constexpr double kRk3CflLimit = 1.7320508075688772;
// Reach of Shu–Osher RK3 on the negative real axis: R(z) = 1 + z + z²/2 + z³/6 = −1 at z ≈ −2.5127;
// bounds Δt times the largest damping rate 8/(Re h²) + μ.
constexpr double kRk3DampingLimit = 2.51;

}  // namespace flex::dns
