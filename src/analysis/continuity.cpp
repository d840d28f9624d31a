// Discrete divergence of (u, v) with the 4th-order central difference
// f'_i = (f_{i-2} - 8 f_{i-1} + 8 f_{i+1} - f_{i+2}) / (12 h), periodic grid.
#include "flex/analysis/metrics.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "policy.hpp"
#include "rows.hpp"

namespace flex::analysis {

double continuity_error(const Slab& u, const Slab& v, double dx, double dy) {
  FLEX_CHECK(u.rows() == v.rows() && u.cols() == v.cols() && u.row0 == v.row0,
             "continuity_error: u and v slabs differ in shape");
  const long cols = u.cols(), n = u.rows();
  // u with two periodic halo rows each side: d/dx runs along axis 0.
  const Rows uh = fetch_rows(u, u.row0 - 2, n + 4, true);
  const auto vv = v.local;
  const double cx = 1.0 / (12.0 * dx), cy = 1.0 / (12.0 * dy);
  double local = 0;
  Kokkos::parallel_reduce(
      "analysis::continuity", over_plane(n, cols),
      KOKKOS_LAMBDA(const long r, const long c, double& acc) {
        const long R = r + 2;
        // Periodic neighbours along y without a modulo per point.
        const long cm1 = c >= 1 ? c - 1 : c - 1 + cols, cm2 = c >= 2 ? c - 2 : c - 2 + cols;
        const long cp1 = c + 1 < cols ? c + 1 : c + 1 - cols, cp2 = c + 2 < cols ? c + 2 : c + 2 - cols;
        const double dudx = cx * (double(uh(R - 2, c)) - 8.0 * uh(R - 1, c) + 8.0 * uh(R + 1, c) - uh(R + 2, c));
        const double dvdy = cy * (double(vv(r, cm2)) - 8.0 * vv(r, cm1) + 8.0 * vv(r, cp1) - vv(r, cp2));
        const double div = dudx + dvdy;
        acc += div * div;
      },
      local);
  return comm::sum(local, u.comm) / static_cast<double>(comm::sum(n * cols, u.comm));
}

}  // namespace flex::analysis
