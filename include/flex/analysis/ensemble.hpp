// Ensemble statistics against the truth, per pixel then reduced over the
// field (SPEC §6, calibration): ensemble mean and spread, pull distribution,
// spread-skill ratio, fair CRPS.
#pragma once

#include <vector>

#include "flex/analysis/view.hpp"

namespace flex::analysis {

using OwnedPlane = Kokkos::View<float**, Kokkos::LayoutRight, MemSpace>;

// Per-pixel mean over the members (the ensemble prediction), same split as `members`.
OwnedPlane ensemble_mean(const StackSlab& members);

struct PullHistogram {
  double lo = -5, hi = 5;       // bin edges span [lo, hi]
  std::vector<double> counts;   // equal-width bins
  double below = 0, above = 0;  // pulls outside [lo, hi]
};

struct EnsembleStats {
  long members = 0;
  double rmse = 0;       // sqrt(mean (mean_K - y)^2): skill of the ensemble mean
  double spread = 0;     // sqrt(mean s^2), s^2 = unbiased member variance
  double ssr = 0;        // sqrt((K + 1) / K) spread / rmse (Fortin et al. 2014); 1 = calibrated
  double crps = 0;       // mean fair CRPS (Ferro 2014)
  double pull_mean = 0;  // pull = (y - mean_K) / s over pixels with s > 0
  double pull_std = 0;   // calibrated: ~ sqrt(1 + 1/K)
  PullHistogram pull;
};

// K >= 2 members; pull histogram with `bins` bins over [-range, range].
EnsembleStats ensemble_statistics(const SlabView& truth, const StackSlab& members, Affine a = {}, int bins = 40,
                                  double range = 5.0);

}  // namespace flex::analysis
