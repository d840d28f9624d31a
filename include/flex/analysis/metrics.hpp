// Point-wise comparison metrics of a prediction against the truth (SPEC §6,
// SuperBench conventions), over a row-slab field: every kernel is a Kokkos
// reduction over the local slab followed by an MPI sum/max, so results are the
// same for any split of the rows.
#pragma once

#include "flex/analysis/view.hpp"

namespace flex::decomp {
class Tiling;
}

namespace flex::analysis {

struct Moments {
  double mean = 0, std = 0, min = 0, max = 0;  // population std (divide by count)
  long count = 0;
};

// Mean, std, min, max of a*x + b over the whole field.
Moments moments(const SlabView& x, Affine a = {});

struct PairMetrics {
  double rfne = 0;   // ||yhat - y||_F / ||y||_F
  double pcc = 0;    // Pearson correlation of yhat and y
  double mse = 0;    // mean (yhat - y)^2
  double rmse = 0;
  double psnr = 0;   // 20 log10(max(y) / RMSE), dB
  double linf = 0;   // max |yhat - y|
};

// y = truth, yhat = prediction, both mapped by `a` first (z-scoring).
PairMetrics pair_metrics(const SlabView& truth, const SlabView& prediction, Affine a = {});

// SSIM (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5, k1 0.01,
// k2 0.03, data range L = max(max(y) - min(y), max(yhat) - min(yhat)) (the
// larger of the two ranges, as torchmetrics and so SuperBench); the mean of the
// SSIM map over every pixel whose window lies inside the field (no padding).
struct SsimOptions {
  int window = 11;
  double sigma = 1.5;
  double k1 = 0.01, k2 = 0.03;
};
double ssim(const SlabView& truth, const SlabView& prediction, Affine a = {}, const SsimOptions& options = {});

// Continuity error mean((du/dx + dv/dy)^2) on the doubly periodic grid, axis 0
// = x, with the 4th-order central stencil [1, -8, 0, 8, -1] / (12 h).
double continuity_error(const SlabView& u, const SlabView& v, double dx, double dy);

// decomp::seam_metric of a field stitched on `tiling` (same H x W), held in
// row slabs: mean |jump| across the patch-core borders over the mean
// elsewhere, 1.0 = no visible seam. Collective over f.comm.
double seam_metric(const SlabView& f, const decomp::Tiling& tiling);

}  // namespace flex::analysis
