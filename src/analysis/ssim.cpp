// SSIM, Wang, Bovik, Sheikh & Simoncelli (2004), eq. 13, with a separable
// Gaussian window; rows near the slab edge come from the neighbouring ranks.
#include <algorithm>
#include <cmath>

#include "flex/analysis/metrics.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "policy.hpp"
#include "rows.hpp"

namespace flex::analysis {

double ssim(const SlabView& truth, const SlabView& prediction, Affine a, const SsimOptions& o) {
  FLEX_CHECK(o.window % 2 == 1 && o.window > 0, "ssim: the window must be odd");
  const long h = o.window / 2, rows = truth.global_rows, cols = truth.cols();
  FLEX_CHECK(rows > 2 * h && cols > 2 * h, "ssim: field " << rows << "x" << cols << " is smaller than the "
                                                           << o.window << "x" << o.window << " window");
  // Data range as torchmetrics, which SuperBench's evaluation calls: the
  // larger of the two fields' ranges, so the score is symmetric in them.
  const Moments ry = moments(truth, a), rp = moments(prediction, a);
  const double L = std::max(ry.max - ry.min, rp.max - rp.min);
  const double c1 = (o.k1 * L) * (o.k1 * L), c2 = (o.k2 * L) * (o.k2 * L);

  // Normalised 1D Gaussian taps.
  Vector taps("analysis::ssim_taps", static_cast<size_t>(o.window));
  auto taps_host = Kokkos::create_mirror_view(taps);
  double total = 0;
  for (long t = -h; t <= h; ++t) total += taps_host(t + h) = std::exp(-0.5 * t * t / (o.sigma * o.sigma));
  for (long t = 0; t < o.window; ++t) taps_host(t) /= total;
  Kokkos::deep_copy(taps, taps_host);

  // Rows [first, first + nr) of both fields, with up to h halo rows each side.
  const long first = std::max(0L, truth.row0 - h);
  const Rows y = fetch_rows(truth, truth.row0 - h, truth.rows() + 2 * h, false);
  const Rows p = fetch_rows(prediction, prediction.row0 - h, prediction.rows() + 2 * h, false);
  const long nr = static_cast<long>(y.extent(0)), nc = cols - 2 * h;
  const double s = a.scale, b = a.shift;

  // Horizontal pass: windowed x, y, x^2, y^2, xy along columns.
  Kokkos::View<double** [5], Kokkos::LayoutRight, MemSpace> hx("analysis::ssim_rowpass", static_cast<size_t>(nr),
                                                                static_cast<size_t>(nc));
  const long win = o.window;
  Kokkos::parallel_for(
      "analysis::ssim_rowpass", over_plane(nr, nc), KOKKOS_LAMBDA(const long r, const long c) {
        double m[5] = {0, 0, 0, 0, 0};
        for (long t = 0; t < win; ++t) {
          const double w = taps(t), xi = s * y(r, c + t) + b, yi = s * p(r, c + t) + b;
          m[0] += w * xi;
          m[1] += w * yi;
          m[2] += w * xi * xi;
          m[3] += w * yi * yi;
          m[4] += w * xi * yi;
        }
        for (int q = 0; q < 5; ++q) hx(r, c, q) = m[q];
      });

  // Vertical pass at every local row whose window fits, then the SSIM map sum.
  const long g0 = std::max(truth.row0, h), g1 = std::min(truth.row0 + truth.rows(), rows - h);
  const long out_rows = std::max(0L, g1 - g0);
  double local = 0;
  Kokkos::parallel_reduce(
      "analysis::ssim_map", over_plane(out_rows, nc),
      KOKKOS_LAMBDA(const long i, const long c, double& acc) {
        const long r = g0 + i - first;  // centre row in the fetched block
        double m[5] = {0, 0, 0, 0, 0};
        for (long t = 0; t < win; ++t)
          for (int q = 0; q < 5; ++q) m[q] += taps(t) * hx(r - h + t, c, q);
        const double mx = m[0], my = m[1];
        const double vx = m[2] - mx * mx, vy = m[3] - my * my, cxy = m[4] - mx * my;
        acc += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      },
      local);
  return mpi::sum(local, truth.comm) / static_cast<double>((rows - 2 * h) * nc);
}

}  // namespace flex::analysis
