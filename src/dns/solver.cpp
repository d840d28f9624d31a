#include "flex/dns/solver.hpp"

#include <utility>

#include "flex/core/profiler.hpp"

namespace flex::dns {

Solver::Solver(const Slab& slab, MPI_Comm comm, Physics physics, Planner planner)
    : comm_(comm),
      physics_(std::move(physics)),
      fft_(slab, comm, planner),
      omega_(slab),
      stage_(slab),
      psi_(slab),
      rhs_(slab) {}

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
  const long n = slab().n, rows = slab().rows;
  // One stage: stage_ = a ωⁿ + b w + c Δt L(w), where ψ_ already belongs to w.
  auto stage = [&](const Field& w, double a, double b, double c, Field& out) {
    {
      FLEX_PROFILE("dns::tendency");
      tendency(w, psi_, physics_, rhs_);
    }
    const double cdt = c * dt;
    for (long i = 0; i < rows; ++i) {
      const double *w0 = omega_.row(i), *wk = w.row(i), *r = rhs_.row(i);
      double* o = out.row(i);
      for (long j = 0; j < n; ++j) o[j] = a * w0[j] + b * wk[j] + cdt * r[j];
    }
  };
  streamfunction();
  stage(omega_, 0.0, 1.0, 1.0, stage_);
  prepare(stage_);
  stage(stage_, 0.75, 0.25, 0.25, stage_);
  prepare(stage_);
  stage(stage_, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, omega_);
  psi_current_ = false;
}

}  // namespace flex::dns
