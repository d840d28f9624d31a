// Arakawa Jacobian identities and convergence, and the exact Poisson inverse
// of the 5-point Laplacian (SPEC §2 verification identities).
#include <gtest/gtest.h>

#include <cmath>

#include "fields.hpp"
#include "flex/dns/spectral.hpp"
#include "flex/dns/stencils.hpp"

namespace flex::dns {
namespace {

using test::global_sum;

TEST(DnsArakawa, ConservesOnRandomPeriodicFields) {
  const Slab s = test::world_slab(48);
  Field a = test::noise(s, 11), b = test::noise(s, 12), jab(s), jba(s);
  exchange_halos(a, MPI_COMM_WORLD);
  exchange_halos(b, MPI_COMM_WORLD);
  arakawa(a, b, jab);
  arakawa(b, a, jba);
  // Scale of the terms each sum cancels: Σ|a||J|.
  const double scale = global_sum(a, jab, [](double x, double y) { return std::abs(x * y); });
  ASSERT_GT(scale, 1.0);
  const double tol = 1e-13 * scale;
  EXPECT_NEAR(global_sum(jab, jab, [](double x, double) { return x; }), 0.0, tol);
  EXPECT_NEAR(global_sum(a, jab, [](double x, double y) { return x * y; }), 0.0, tol);
  EXPECT_NEAR(global_sum(b, jab, [](double x, double y) { return x * y; }), 0.0, tol);
  EXPECT_LT(test::max_abs_diff(jab, [&] {
              Field minus(s);
              for (long i = 0; i < s.rows; ++i)
                for (long j = 0; j < s.n; ++j) minus(i, j) = -jba(i, j);
              return minus;
            }()),
            1e-12 * test::max_abs(jab));
}

// J(a, b) for a = sin x cos 2y, b = cos 3x sin y: a_x b_y − a_y b_x.
double exact_jacobian(double x, double y) {
  return std::cos(x) * std::cos(2 * y) * std::cos(3 * x) * std::cos(y) -
         6.0 * std::sin(x) * std::sin(2 * y) * std::sin(3 * x) * std::sin(y);
}

double jacobian_error(long n) {
  const Slab s = test::world_slab(n);
  Field a = test::sample(s, [](double x, double y) { return std::sin(x) * std::cos(2 * y); });
  Field b = test::sample(s, [](double x, double y) { return std::cos(3 * x) * std::sin(y); });
  exchange_halos(a, MPI_COMM_WORLD);
  exchange_halos(b, MPI_COMM_WORLD);
  Field j(s);
  arakawa(a, b, j);
  return test::max_abs_diff(j, test::sample(s, exact_jacobian));
}

TEST(DnsArakawa, ConvergesAtSecondOrder) {
  const double e32 = jacobian_error(32), e64 = jacobian_error(64), e128 = jacobian_error(128);
  const double order1 = std::log2(e32 / e64), order2 = std::log2(e64 / e128);
  EXPECT_NEAR(order1, 2.0, 0.1) << "errors " << e32 << " " << e64;
  EXPECT_NEAR(order2, 2.0, 0.05) << "errors " << e64 << " " << e128;
}

TEST(DnsPoisson, InvertsTheFivePointLaplacianExactly) {
  const Slab s = test::world_slab(64);
  Field omega = test::noise(s, 21), psi(s), lap(s);
  Spectral fft(s, MPI_COMM_WORLD);
  fft.solve_poisson(omega, psi);
  exchange_halos(psi, MPI_COMM_WORLD);
  laplacian(psi, lap);
  // ψ̂₀₀ = 0: the Laplacian of ψ returns −(ω − ⟨ω⟩).
  const double mean = global_sum(omega, omega, [](double x, double) { return x; }) / (64.0 * 64.0);
  Field residual(s);
  for (long i = 0; i < s.rows; ++i)
    for (long j = 0; j < s.n; ++j) residual(i, j) = lap(i, j) + omega(i, j) - mean;
  EXPECT_LT(test::max_abs(residual), 1e-12 * test::max_abs(omega));
  const double psi_mean = global_sum(psi, psi, [](double x, double) { return x; }) / (64.0 * 64.0);
  EXPECT_NEAR(psi_mean, 0.0, 1e-14);
}

TEST(DnsSpectral, ForwardThenBackwardIsIdentity) {
  const Slab s = test::world_slab(32);
  Field f = test::noise(s, 31), g(s);
  Spectral fft(s, MPI_COMM_WORLD);
  fft.forward(f);
  fft.backward(g);
  EXPECT_LT(test::max_abs_diff(f, g), 1e-14);
}

}  // namespace
}  // namespace flex::dns
