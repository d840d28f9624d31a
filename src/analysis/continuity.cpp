// Discrete divergence of (u, v) with the 4th-order central difference
// f'_i = (f_{i-2} - 8 f_{i-1} + 8 f_{i+1} - f_{i+2}) / (12 h), periodic grid.
#include "flex/analysis/metrics.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "policy.hpp"
#include "rows.hpp"

namespace flex::analysis {

double continuity_error(const SlabView& u, const SlabView& v, double dx, double dy) {
  FLEX_CHECK(u.rows() == v.rows() && u.cols() == v.cols() && u.row0 == v.row0,
             "continuity_error: u and v slabs differ in shape");
  const long cols = u.cols(), n = u.rows();
  // d/dx runs along axis 0: two periodic halo rows of u each side.
  const Halo halo = fetch_periodic_halo(u, 2);
  const auto uu = u.local;
  const Rows above = halo.above, below = halo.below;
  const auto vv = v.local;
  const double cx = 1.0 / (12.0 * dx), cy = 1.0 / (12.0 * dy);
  double local = 0;
  Kokkos::parallel_reduce(
      "analysis::continuity", over_strips(n, cols),
      KOKKOS_LAMBDA(const long r, const long strip, double& acc) {
        // Rows r-2 .. r+2 of u: in the slab, or in the halo past its edges (rows are contiguous).
        const auto row = [&](const long q) -> const float* {
          return q < 0 ? &above(q + 2, 0) : (q >= n ? &below(q - n, 0) : &uu(q, 0));
        };
        const float *um2 = row(r - 2), *um1 = row(r - 1), *up1 = row(r + 1), *up2 = row(r + 2);
        const float* vr = &vv(r, 0);
        double sq[kLanes] = {};
        for_strip(strip, cols, [&](const long c, const int l) {
          // Periodic neighbours along y without a modulo per point.
          const long cm1 = c >= 1 ? c - 1 : c - 1 + cols, cm2 = c >= 2 ? c - 2 : c - 2 + cols;
          const long cp1 = c + 1 < cols ? c + 1 : c + 1 - cols, cp2 = c + 2 < cols ? c + 2 : c + 2 - cols;
          const double dudx = cx * (double(um2[c]) - 8.0 * um1[c] + 8.0 * up1[c] - up2[c]);
          const double dvdy = cy * (double(vr[cm2]) - 8.0 * vr[cm1] + 8.0 * vr[cp1] - vr[cp2]);
          const double div = dudx + dvdy;
          sq[l] += div * div;
        });
        for (int l = 0; l < kLanes; ++l) acc += sq[l];
      },
      local);
  return mpi::sum(local, u.comm) / static_cast<double>(mpi::sum(n * cols, u.comm));
}

}  // namespace flex::analysis
