// The seam metric of decomp/seams.hpp on a row-slab field: each rank sums the
// pairs of its rows (the row above its slab fetched), the sums are reduced.
#include "flex/analysis/metrics.hpp"
#include "flex/core/error.hpp"
#include "flex/decomp/seams.hpp"
#include "rows.hpp"

namespace flex::analysis {

double seam_metric(const SlabView& f, const decomp::Tiling& tiling) {
  const long n = f.rows(), cols = f.cols();
  FLEX_CHECK(f.global_rows == tiling.spec().height && cols == tiling.spec().width,
             "seam_metric: a " << f.global_rows << "x" << cols << " field on a " << tiling.spec().height << "x"
                               << tiling.spec().width << " tiling");
  const Halo halo = fetch_periodic_halo(f, 1);  // collective: every rank, slab or not
  // The pairs are summed on the host, as decomp's whole-field metric sums them.
  const auto slab = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.local);
  const auto above = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), halo.above);
  decomp::SeamSums sums;
  if (n > 0)
    sums = decomp::seam_sums(tiling, f.row0, f.row0 + n, 0, cols, [&](long r, long c) {
      const long local = r - f.row0, cc = c < 0 ? c + cols : c;
      return local < 0 ? above(0, cc) : slab(local, cc);
    });
  sums.sum_over(f.comm);
  return sums.metric();
}

}  // namespace flex::analysis
