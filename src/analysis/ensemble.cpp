#include "flex/analysis/ensemble.hpp"

#include <Kokkos_ScatterView.hpp>

#include <cmath>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "policy.hpp"
#include "tally.hpp"

namespace flex::analysis {

OwnedPlane ensemble_mean(const StackSlab& members) {
  const long k = members.members(), rows = members.rows(), cols = members.cols();
  FLEX_CHECK(k >= 1, "ensemble_mean: no members");
  OwnedPlane mean(Kokkos::view_alloc(Kokkos::WithoutInitializing, "analysis::ensemble_mean"),
                  static_cast<size_t>(members.rows()), static_cast<size_t>(cols));
  const auto x = members.local;
  Kokkos::parallel_for(
      "analysis::ensemble_mean", over_plane(rows, cols), KOKKOS_LAMBDA(const long r, const long c) {
        double s = 0;
        for (long m = 0; m < k; ++m) s += x(m, r, c);
        mean(r, c) = static_cast<float>(s / k);
      });
  return mean;
}

EnsembleStats ensemble_statistics(const SlabView& truth, const StackSlab& members, Affine a, int bins, double range) {
  const long k = members.members(), rows = truth.rows(), cols = truth.cols(), n = rows * cols;
  FLEX_CHECK(k >= 2, "ensemble statistics need at least 2 members, got " << k);
  FLEX_CHECK(members.rows() == truth.rows() && members.cols() == cols && members.row0 == truth.row0,
             "ensemble_statistics: truth and member slabs differ in shape");
  FLEX_CHECK(bins > 0 && range > 0, "ensemble_statistics: bad pull histogram " << bins << " bins, range " << range);
  const auto y = truth.local;
  const auto x = members.local;
  const double s = a.scale, b = a.shift, lo = -range, width = 2 * range / bins;

  Kokkos::View<double*, MemSpace> hist("analysis::pull_histogram", static_cast<size_t>(bins + 2));
  Kokkos::Experimental::ScatterView<double*, Kokkos::LayoutRight, ExecSpace> scatter(hist);
  // sums: err^2, var, crps, pull, pull^2, pixels with spread
  Tally<6, 0> t;
  Kokkos::parallel_reduce(
      "analysis::ensemble_pixels", over_plane(rows, cols),
      KOKKOS_LAMBDA(const long r, const long c, Tally<6, 0>& acc) {
        const double yi = s * y(r, c) + b;
        double mean = 0;
        for (long m = 0; m < k; ++m) mean += s * x(m, r, c) + b;
        mean /= k;
        double var = 0, skill = 0, pairs = 0;
        for (long m = 0; m < k; ++m) {
          const double xm = s * x(m, r, c) + b, d = xm - mean, e = xm - yi;
          var += d * d;
          skill += Kokkos::Experimental::fabs(e);  // branch-free: signs are random
          for (long q = m + 1; q < k; ++q) {
            const double dq = xm - (s * x(q, r, c) + b);
            pairs += Kokkos::Experimental::fabs(dq);
          }
        }
        var /= (k - 1);
        // Fair CRPS (Ferro 2014): (1/K) sum|x_m - y| - 1/(2K(K-1)) sum_{m,q}|x_m - x_q|; pairs counts m<q once.
        const double crps = skill / k - pairs / (double(k) * (k - 1));
        const double err = yi - mean;
        acc.sum[0] += err * err;
        acc.sum[1] += var;
        acc.sum[2] += crps;
        if (var > 0) {
          const double pull = err / Kokkos::Experimental::sqrt(var);
          acc.sum[3] += pull;
          acc.sum[4] += pull * pull;
          acc.sum[5] += 1;
          // Bin 0 and bins + 1 collect the pulls outside [lo, hi].
          long bin = 1 + static_cast<long>((pull - lo) / width);
          if (pull < lo) bin = 0;
          else if (pull >= -lo) bin = bins + 1;
          else if (bin > bins) bin = bins;  // a pull just below hi rounded up
          scatter.access()(bin) += 1;
        }
      },
      Kokkos::Sum<Tally<6, 0>>(t));
  Kokkos::Experimental::contribute(hist, scatter);
  t.allreduce(truth.comm);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), hist);
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, h.data(), bins + 2, MPI_DOUBLE, MPI_SUM, truth.comm));

  const double count = static_cast<double>(mpi::sum(n, truth.comm));
  EnsembleStats e;
  e.members = k;
  e.rmse = std::sqrt(t.sum[0] / count);
  e.spread = std::sqrt(t.sum[1] / count);
  e.ssr = std::sqrt((k + 1.0) / k) * e.spread / e.rmse;
  e.crps = t.sum[2] / count;
  const double np = t.sum[5];
  e.pull_mean = np > 0 ? t.sum[3] / np : 0;
  e.pull_std = np > 0 ? std::sqrt(std::max(0.0, t.sum[4] / np - e.pull_mean * e.pull_mean)) : 0;
  e.pull.lo = lo;
  e.pull.hi = -lo;
  e.pull.below = h(0);
  e.pull.above = h(bins + 1);
  for (int i = 1; i <= bins; ++i) e.pull.counts.push_back(h(i));
  return e;
}

}  // namespace flex::analysis
