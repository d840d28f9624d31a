// Any rank count gives the fields of one rank (to 1e-12) after 50 steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fields.hpp"
#include "flex/dns/initial.hpp"
#include "flex/dns/solver.hpp"

namespace flex::dns {
namespace {

Physics forced_viscous(long n) {
  // Kolmogorov forcing and drag too, so every term of L is compared.
  Physics p{1.0 / 2000.0, 0.05, std::vector<double>(n)};
  for (long j = 0; j < n; ++j) p.forcing[j] = -4.0 * 0.5 * std::cos(4.0 * coordinate(j, Slab::whole(n).h()));
  return p;
}

void run(Solver& solver, long steps) {
  kraichnan(solver.spectral(), 10.0, 99, solver.mutable_vorticity());
  for (long s = 0; s < steps; ++s) solver.step(2e-3);
}

TEST(DnsRankInvariance, FiftyStepsMatchOneRank) {
  const long n = 64;
  Solver distributed(test::world_slab(n), MPI_COMM_WORLD, forced_viscous(n));
  run(distributed, 50);
  // Every rank runs the whole grid alone as the reference and compares its rows.
  Solver single(Slab::whole(n), MPI_COMM_SELF, forced_viscous(n));
  run(single, 50);
  const Slab& s = distributed.slab();
  double local = 0, scale = 0;
  for (long i = 0; i < s.rows; ++i)
    for (long j = 0; j < n; ++j) {
      local = std::max(local, std::abs(distributed.vorticity()(i, j) - single.vorticity()(s.row0 + i, j)));
      scale = std::max(scale, std::abs(single.vorticity()(s.row0 + i, j)));
    }
  double worst = 0;
  MPI_Allreduce(&local, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_GT(scale, 1.0);
  EXPECT_LT(worst, 1e-12 * scale) << "max |ω_P − ω_1| = " << worst;
  const Diagnostics a = distributed.diagnostics(), b = single.diagnostics();
  EXPECT_NEAR(a.energy, b.energy, 1e-13);
  EXPECT_NEAR(a.enstrophy, b.enstrophy, 1e-10);
}

}  // namespace
}  // namespace flex::dns
