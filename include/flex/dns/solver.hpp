// The vorticity–streamfunction integrator: ∂ω/∂t = L(ω), ∇²_h ψ = −ω, advanced
// by the Shu–Osher TVD RK3 with a Poisson solve before each stage (SPEC §2).
#pragma once

#include <mpi.h>

#include "flex/dns/diagnostics.hpp"
#include "flex/dns/slab.hpp"
#include "flex/dns/spectral.hpp"
#include "flex/dns/stencils.hpp"

namespace flex::dns {

class Solver {
 public:
  // Collective over comm; slab is this rank's share.
  Solver(const Slab& slab, MPI_Comm comm, Physics physics, Planner planner = Planner::Estimate);

  const Slab& slab() const { return omega_.slab(); }
  MPI_Comm comm() const { return comm_; }
  Spectral& spectral() { return fft_; }
  const Physics& physics() const { return physics_; }

  const Field& vorticity() const { return omega_; }
  // Write access to ω (interior); ψ is recomputed on next use.
  Field& mutable_vorticity() {
    psi_current_ = false;
    return omega_;
  }
  // ψ of the current ω, halos filled (one Poisson solve when ω has changed,
  // reused by the next step's first stage). Collective.
  const Field& streamfunction();
  Diagnostics diagnostics() { return diagnose(omega_, streamfunction(), comm_); }

  // ωⁿ⁺¹ from ωⁿ (SPEC §2): ω¹ = ωⁿ + Δt L(ωⁿ); ω² = ¾ωⁿ + ¼ω¹ + ¼Δt L(ω¹);
  // ωⁿ⁺¹ = ⅓ωⁿ + ⅔ω² + ⅔Δt L(ω²). Collective.
  void step(double dt);

 private:
  // Halos of w, ψ of w with its halos.
  void prepare(Field& w);

  MPI_Comm comm_;
  Physics physics_;
  Spectral fft_;
  Field omega_, stage1_, stage2_, psi_;
  bool psi_current_ = false;
};

}  // namespace flex::dns
