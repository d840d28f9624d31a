// Moments and the point-wise pair metrics: RFNE, PCC, MSE/RMSE, PSNR, L-inf.
#include "flex/analysis/metrics.hpp"

#include <cmath>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "policy.hpp"
#include "tally.hpp"

namespace flex::analysis {

namespace {
long global_count(const SlabView& x) { return mpi::sum(x.rows() * x.cols(), x.comm); }
}  // namespace

Moments moments(const SlabView& x, Affine a) {
  const auto v = x.local;
  const long rows = x.rows(), cols = x.cols();
  const double s = a.scale, b = a.shift;
  Moments m;
  m.count = global_count(x);
  FLEX_CHECK(m.count > 0, "moments of an empty field");

  Tally<1, 2> first;
  Kokkos::parallel_reduce(
      "analysis::moments_mean", over_strips(rows, cols),
      KOKKOS_LAMBDA(const long r, const long strip, Tally<1, 2>& t) {
        double sum[kLanes] = {}, hi[kLanes], nlo[kLanes];
        for (int l = 0; l < kLanes; ++l) hi[l] = t.max[0], nlo[l] = t.max[1];
        for_strip(strip, cols, [&](const long c, const int l) {
          const double y = s * v(r, c) + b;
          sum[l] += y;
          hi[l] = y > hi[l] ? y : hi[l];
          nlo[l] = -y > nlo[l] ? -y : nlo[l];
        });
        for (int l = 0; l < kLanes; ++l) {
          t.sum[0] += sum[l];
          t.max[0] = hi[l] > t.max[0] ? hi[l] : t.max[0];
          t.max[1] = nlo[l] > t.max[1] ? nlo[l] : t.max[1];
        }
      },
      Kokkos::Sum<Tally<1, 2>>(first));
  first.allreduce(x.comm);
  const double mean = first.sum[0] / m.count;

  double var = 0;
  Kokkos::parallel_reduce(
      "analysis::moments_var", over_strips(rows, cols),
      KOKKOS_LAMBDA(const long r, const long strip, double& acc) {
        double sq[kLanes] = {};
        for_strip(strip, cols, [&](const long c, const int l) {
          const double d = s * v(r, c) + b - mean;
          sq[l] += d * d;
        });
        for (int l = 0; l < kLanes; ++l) acc += sq[l];
      },
      var);
  var = mpi::sum(var, x.comm);

  m.mean = mean;
  m.std = std::sqrt(var / m.count);
  m.max = first.max[0];
  m.min = -first.max[1];
  return m;
}

PairMetrics pair_metrics(const SlabView& truth, const SlabView& prediction, Affine a) {
  FLEX_CHECK(truth.rows() == prediction.rows() && truth.cols() == prediction.cols() && truth.row0 == prediction.row0,
             "pair_metrics: truth and prediction slabs differ in shape");
  const auto y = truth.local, p = prediction.local;
  const long rows = truth.rows(), cols = truth.cols();
  const double s = a.scale, b = a.shift;
  const long count = global_count(truth);
  FLEX_CHECK(count > 0, "pair_metrics of an empty field");

  // Pass 1: means and max(y).
  Tally<2, 1> first;
  Kokkos::parallel_reduce(
      "analysis::pair_means", over_strips(rows, cols),
      KOKKOS_LAMBDA(const long r, const long strip, Tally<2, 1>& t) {
        double sy[kLanes] = {}, sp[kLanes] = {}, hi[kLanes];
        for (int l = 0; l < kLanes; ++l) hi[l] = t.max[0];
        for_strip(strip, cols, [&](const long c, const int l) {
          const double yi = s * y(r, c) + b, pi = s * p(r, c) + b;
          sy[l] += yi;
          sp[l] += pi;
          hi[l] = yi > hi[l] ? yi : hi[l];
        });
        for (int l = 0; l < kLanes; ++l) {
          t.sum[0] += sy[l], t.sum[1] += sp[l];
          t.max[0] = hi[l] > t.max[0] ? hi[l] : t.max[0];
        }
      },
      Kokkos::Sum<Tally<2, 1>>(first));
  first.allreduce(truth.comm);
  const double my = first.sum[0] / count, mp = first.sum[1] / count;

  // Pass 2: centred second moments (two-pass for accuracy), error norms.
  Tally<5, 1> second;
  Kokkos::parallel_reduce(
      "analysis::pair_errors", over_strips(rows, cols),
      KOKKOS_LAMBDA(const long r, const long strip, Tally<5, 1>& t) {
        double q[5][kLanes] = {}, worst[kLanes] = {};
        for_strip(strip, cols, [&](const long c, const int l) {
          const double yi = s * y(r, c) + b, pi = s * p(r, c) + b;
          const double dy = yi - my, dp = pi - mp, e = pi - yi;
          q[0][l] += dy * dy;
          q[1][l] += dp * dp;
          q[2][l] += dy * dp;
          q[3][l] += e * e;
          q[4][l] += yi * yi;
          const double ae = Kokkos::Experimental::fabs(e);  // branch-free: signs are random
          worst[l] = ae > worst[l] ? ae : worst[l];
        });
        for (int k = 0; k < 5; ++k)
          for (int l = 0; l < kLanes; ++l) t.sum[k] += q[k][l];
        for (int l = 0; l < kLanes; ++l) t.max[0] = worst[l] > t.max[0] ? worst[l] : t.max[0];
      },
      Kokkos::Sum<Tally<5, 1>>(second));
  second.allreduce(truth.comm);

  PairMetrics m;
  m.rfne = std::sqrt(second.sum[3] / second.sum[4]);
  m.pcc = second.sum[2] / std::sqrt(second.sum[0] * second.sum[1]);
  m.mse = second.sum[3] / count;
  m.rmse = std::sqrt(m.mse);
  m.psnr = 20.0 * std::log10(first.max[0] / m.rmse);  // SuperBench: max of the truth over RMSE
  m.linf = second.max[0];
  return m;
}

}  // namespace flex::analysis
