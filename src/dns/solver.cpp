#include "flex/dns/solver.hpp"

#include <utility>

#include "flex/core/profiler.hpp"

namespace flex::dns {

Solver::Solver(const Slab& slab, MPI_Comm comm, Physics physics, Planner planner)
    : comm_(comm),
      physics_(std::move(physics)),
      fft_(slab, comm, planner),
      omega_(slab),
      stage1_(slab),
      stage2_(slab),
      psi_(slab) {}

void Solver::prepare(Field& w) {
  exchange_halos(w, comm_);
  {
    FLEX_PROFILE("dns::poisson");
    fft_.solve_poisson(w, psi_);
  }
  exchange_halos(psi_, comm_);
}

const Field& Solver::streamfunction() {
  if (!psi_current_) {
    prepare(omega_);
    psi_current_ = true;
  }
  return psi_;
}

void Solver::step(double dt) {
  FLEX_PROFILE("dns::step");
  // Each stage reads ψ of its input, so a Poisson solve precedes each.
  auto stage = [&](double a, const Field& w, double b, double c, Field& out) {
    FLEX_PROFILE("dns::stage");
    rk_stage(omega_, a, w, b, c * dt, psi_, physics_, out);
  };
  streamfunction();
  stage(0.0, omega_, 1.0, 1.0, stage1_);
  prepare(stage1_);
  stage(0.75, stage1_, 0.25, 0.25, stage2_);
  prepare(stage2_);
  stage(1.0 / 3.0, stage2_, 2.0 / 3.0, 2.0 / 3.0, omega_);
  psi_current_ = false;
}

}  // namespace flex::dns
