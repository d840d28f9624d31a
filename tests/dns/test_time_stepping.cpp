// RK3 time stepping: Taylor–Green decay (second order in space), inviscid
// energy/enstrophy drift (third order in Δt), the viscous energy budget.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fields.hpp"
#include "flex/dns/initial.hpp"
#include "flex/dns/solver.hpp"
#include "flex/dns/verification.hpp"

namespace flex::dns {
namespace {

using verify::Drift;
double taylor_green_error(long n) { return verify::taylor_green_error(n, MPI_COMM_WORLD); }
Drift inviscid_drift(double dt) { return verify::inviscid_drift(dt, MPI_COMM_WORLD); }

TEST(DnsTaylorGreen, DecaysWithSecondOrderSpatialError) {
  const double e32 = taylor_green_error(32), e64 = taylor_green_error(64), e128 = taylor_green_error(128);
  EXPECT_NEAR(std::log2(e32 / e64), 2.0, 0.05) << e32 << " " << e64;
  EXPECT_NEAR(std::log2(e64 / e128), 2.0, 0.05) << e64 << " " << e128;
}

TEST(DnsRk3, InviscidDriftIsThirdOrderInDt) {
  const Drift coarse = inviscid_drift(0.02), mid = inviscid_drift(0.01), fine = inviscid_drift(0.005);
  for (const Drift* d : {&coarse, &mid, &fine}) {
    EXPECT_LT(d->mean_vorticity, 1e-13);
    EXPECT_GT(d->energy, 1e-12) << "drift too small to measure a rate";
  }
  EXPECT_NEAR(coarse.energy / mid.energy, 8.0, 1.5) << coarse.energy << " " << mid.energy;
  EXPECT_NEAR(mid.energy / fine.energy, 8.0, 1.0) << mid.energy << " " << fine.energy;
  EXPECT_NEAR(coarse.enstrophy / mid.enstrophy, 8.0, 1.5) << coarse.enstrophy << " " << mid.enstrophy;
  EXPECT_NEAR(mid.enstrophy / fine.enstrophy, 8.0, 1.0) << mid.enstrophy << " " << fine.enstrophy;
}

TEST(DnsBudget, SemiDiscreteEnergyDecaysAtTwiceEnstrophyOverRe) {
  // d/dt ½⟨ψω⟩ = ⟨ψ L(ω)⟩ = −(2/Re) Z_h: Arakawa's Σψ J = 0 and the symmetric 5-point ∇²_h.
  const double re = 50.0;
  Solver solver(test::world_slab(64), MPI_COMM_WORLD, Physics{1.0 / re, 0.0, {}});
  kraichnan(solver.spectral(), 6.0, 3, solver.mutable_vorticity());
  const Field& psi = solver.streamfunction();
  Field rhs(solver.slab());
  tendency(solver.vorticity(), psi, solver.physics(), rhs);
  const double rate = test::global_sum(psi, rhs, [](double a, double b) { return a * b; }) / (64.0 * 64.0);
  const double expected = -2.0 / re * solver.diagnostics().enstrophy;
  EXPECT_NEAR(rate, expected, 1e-12 * std::abs(expected));
}

TEST(DnsBudget, TimeDiscreteEnergyFollowsTheBudget) {
  const double re = 50.0, dt = 1e-3;
  Solver solver(test::world_slab(64), MPI_COMM_WORLD, Physics{1.0 / re, 0.0, {}});
  kraichnan(solver.spectral(), 6.0, 3, solver.mutable_vorticity());
  const double e0 = solver.diagnostics().energy;
  solver.step(dt);
  const double z1 = solver.diagnostics().enstrophy;
  solver.step(dt);
  const double e2 = solver.diagnostics().energy;
  const double rate = (e2 - e0) / (2.0 * dt), expected = -2.0 / re * z1;
  EXPECT_NEAR(rate, expected, 1e-4 * std::abs(expected)) << "dE/dt " << rate << " vs " << expected;
}

}  // namespace
}  // namespace flex::dns
