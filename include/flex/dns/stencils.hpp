// Finite-difference operators of the vorticity–streamfunction DNS on slab
// fields (SPEC §2). Each writes interior points only and reads one halo cell,
// so the halos of its inputs must be filled (exchange_halos) first.
#pragma once

#include <vector>

#include "flex/dns/slab.hpp"

namespace flex::dns {

// 12 h² J(a, b) at (i, j) from rows i-1, i, i+1 of a and b: Arakawa (1966),
// J = (J1 + J2 + J3) / 3, each J_k a 4h²-scaled second-order form (SPEC §2).
inline double arakawa_12h2(const double* am, const double* a0, const double* ap, const double* bm, const double* b0,
                           const double* bp, long j) {
  const double j1 = (ap[j] - am[j]) * (b0[j + 1] - b0[j - 1]) - (a0[j + 1] - a0[j - 1]) * (bp[j] - bm[j]);
  const double j2 = ap[j] * (bp[j + 1] - bp[j - 1]) - am[j] * (bm[j + 1] - bm[j - 1]) -
                    a0[j + 1] * (bp[j + 1] - bm[j + 1]) + a0[j - 1] * (bp[j - 1] - bm[j - 1]);
  const double j3 = ap[j + 1] * (b0[j + 1] - bp[j]) - am[j - 1] * (bm[j] - b0[j - 1]) -
                    am[j + 1] * (b0[j + 1] - bm[j]) + ap[j - 1] * (bp[j] - b0[j - 1]);
  return j1 + j2 + j3;
}

// h² ∇²_h f at (i, j): the 5-point Laplacian.
inline double laplacian_h2(const double* fm, const double* f0, const double* fp, long j) {
  return fm[j] + fp[j] + f0[j - 1] + f0[j + 1] - 4.0 * f0[j];
}

// out = J(a, b), Arakawa.
void arakawa(const Field& a, const Field& b, Field& out);
// out = ∇²_h f, 5-point.
void laplacian(const Field& f, Field& out);
// u = ψ_y, v = −ψ_x by second-order central differences.
void velocity(const Field& psi, Field& u, Field& v);

// The terms of ∂ω/∂t besides advection: ν ∇²ω − μ ω + F(y), with F the
// Kolmogorov vorticity forcing per column (empty: none).
struct Physics {
  double inv_re = 0.0;  // 1/Re; 0 for Re = inf (inviscid)
  double drag = 0.0;    // linear friction μ
  std::vector<double> forcing;  // F(y_j), j = 0..n-1, or empty
};

// rhs = L(ω) = −J(ω, ψ) + ν ∇²_h ω − μ ω + F (SPEC §2).
void tendency(const Field& omega, const Field& psi, const Physics& physics, Field& rhs);

// One Runge–Kutta stage, out = a ω0 + b w + c L(w), with ψ belonging to w: fused
// so that L never goes through memory. out may be ω0 but must not be w.
void rk_stage(const Field& w0, double a, const Field& w, double b, double c, const Field& psi, const Physics& physics,
              Field& out);

}  // namespace flex::dns
