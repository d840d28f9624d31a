// RFNE over square tiles, the paper's Table 1 protocol: the authors'
// evaluation (minFLEX evaluate.py, SR) scores 256² tiles without halo in
// batches of 32 consecutive tiles, RFNE = ||ŷ − y||_F / ||y||_F over the
// batch's pixels, then the mean over batches. Tiles run row-major over a
// field, so at 2048² a batch is half a snapshot, as in the authors' loader.
#pragma once

#include <cmath>
#include <vector>

#include "flex/analysis/view.hpp"

namespace flex::analysis {

struct TileNorms {
  long row = 0, col = 0;          // pixels [row·side, (row+1)·side) × [col·side, (col+1)·side)
  double error2 = 0, truth2 = 0;  // Σ (ŷ − y)², Σ y² over the tile
  double rfne() const { return std::sqrt(error2 / truth2); }
};

// Every tile of side `side` (which must divide the field's rows and columns),
// row-major; both fields mapped by `a` first, as in pair_metrics. Collective.
std::vector<TileNorms> tile_norms(const SlabView& truth, const SlabView& prediction, long side, Affine a = {});

// RFNE of each run of `batch` consecutive tiles; the last run may be shorter
// (the authors' DataLoader keeps its last, partial batch).
std::vector<double> batch_rfne(const std::vector<TileNorms>& tiles, long batch);

// Mean over the batches of batch_rfne: the tiles protocol's RFNE of one field.
double tiled_rfne(const std::vector<TileNorms>& tiles, long batch);

}  // namespace flex::analysis
