#include "flex/dns/stencils.hpp"

#include "flex/core/error.hpp"

namespace flex::dns {

void arakawa(const Field& a, const Field& b, Field& out) {
  const long n = a.slab().n, rows = a.slab().rows;
  const double scale = 1.0 / (12.0 * a.slab().h() * a.slab().h());
  for (long i = 0; i < rows; ++i) {
    const double *am = a.row(i - 1), *a0 = a.row(i), *ap = a.row(i + 1);
    const double *bm = b.row(i - 1), *b0 = b.row(i), *bp = b.row(i + 1);
    double* o = out.row(i);
    for (long j = 0; j < n; ++j) o[j] = scale * arakawa_12h2(am, a0, ap, bm, b0, bp, j);
  }
}

void laplacian(const Field& f, Field& out) {
  const long n = f.slab().n, rows = f.slab().rows;
  const double scale = 1.0 / (f.slab().h() * f.slab().h());
  for (long i = 0; i < rows; ++i) {
    const double *fm = f.row(i - 1), *f0 = f.row(i), *fp = f.row(i + 1);
    double* o = out.row(i);
    for (long j = 0; j < n; ++j) o[j] = scale * laplacian_h2(fm, f0, fp, j);
  }
}

void velocity(const Field& psi, Field& u, Field& v) {
  const long n = psi.slab().n, rows = psi.slab().rows;
  const double scale = 0.5 / psi.slab().h();
  for (long i = 0; i < rows; ++i) {
    const double *pm = psi.row(i - 1), *p0 = psi.row(i), *pp = psi.row(i + 1);
    double *ur = u.row(i), *vr = v.row(i);
    for (long j = 0; j < n; ++j) {
      ur[j] = scale * (p0[j + 1] - p0[j - 1]);
      vr[j] = -scale * (pp[j] - pm[j]);
    }
  }
}

void tendency(const Field& omega, const Field& psi, const Physics& physics, Field& rhs) {
  rk_stage(omega, 0.0, omega, 0.0, 1.0, psi, physics, rhs);
}

void rk_stage(const Field& w0, double a, const Field& w, double b, double c, const Field& psi, const Physics& physics,
              Field& out) {
  FLEX_CHECK(&out != &w, "rk_stage: out must not alias the stencil input");
  const long n = w.slab().n, rows = w.slab().rows;
  const double h = w.slab().h();
  const double jac = c / (12.0 * h * h), visc = c * physics.inv_re / (h * h), drag = c * physics.drag;
  const bool forced = !physics.forcing.empty();
  FLEX_CHECK(!forced || static_cast<long>(physics.forcing.size()) == n, "forcing has the wrong length");
  const double* force = forced ? physics.forcing.data() : nullptr;
  for (long i = 0; i < rows; ++i) {
    const double *wm = w.row(i - 1), *wc = w.row(i), *wp = w.row(i + 1);
    const double *pm = psi.row(i - 1), *pc = psi.row(i), *pp = psi.row(i + 1);
    const double* base = w0.row(i);
    double* o = out.row(i);
    for (long j = 0; j < n; ++j)
      o[j] = a * base[j] + b * wc[j] - jac * arakawa_12h2(wm, wc, wp, pm, pc, pp, j) +
             visc * laplacian_h2(wm, wc, wp, j) - drag * wc[j];
    if (forced)
      for (long j = 0; j < n; ++j) o[j] += c * force[j];
  }
}

}  // namespace flex::dns
