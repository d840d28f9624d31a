// 2D block decomposition of a tiled field over the ranks (doc/decomp.md).
// The ranks form a Pr x Pc Cartesian grid; rank (i, j) owns the patches of a
// balanced range of patch rows x patch columns and the pixels of their cores:
// its block. Its patches cover the block and their halos beyond it: its reach,
// which the neighbouring blocks overlap. No rank holds a whole field:
//  - BlockStitcher sums the weighted patches over the reach, then sends each
//    part of the reach that lies in another rank's block to that rank
//    (point-to-point, only between ranks that share pixels);
//  - fill_regions sends block pixels the other way, so that each rank gets the
//    values of any region around its block (the reach a rollout's next input
//    needs; one pixel more for the seam metric), with periodic wrap or mirror
//    reflection at the field's edges exactly as Tiling::extract.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "flex/decomp/tiling.hpp"

namespace flex::decomp {

// Half-open [begin, end) of rows or columns; unwrapped (may lie outside the field).
struct Span {
  long begin = 0, end = 0;
  long size() const { return end > begin ? end - begin : 0; }
};
struct Rect {
  Span rows, cols;
  long count() const { return rows.size() * cols.size(); }
};

class BlockDecomposition {
 public:
  // Collective over `comm`: a Cartesian communicator of its ranks (numbers
  // kept, row-major). dims {0, 0}: MPI_Dims_create's near-square grid;
  // otherwise Pr x Pc, whose product must be the rank count.
  BlockDecomposition(const Tiling& tiling, MPI_Comm comm, std::array<int, 2> dims = {0, 0});
  ~BlockDecomposition();
  BlockDecomposition(const BlockDecomposition&) = delete;
  BlockDecomposition& operator=(const BlockDecomposition&) = delete;

  const Tiling& tiling() const { return tiling_; }
  MPI_Comm comm() const { return cart_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  std::array<int, 2> dims() const { return dims_; }

  // Field pixels rank r owns (empty when the grid has more ranks than patches along an axis).
  Rect block(int r) const;
  // Pixels its patches cover, unwrapped: the block plus the halos beyond it.
  Rect reach(int r) const;
  // Its patches, row-major.
  std::vector<long> patches(int r) const;

 private:
  Tiling tiling_;
  MPI_Comm cart_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::array<int, 2> dims_{1, 1};
};

// Sums weighted patches as Stitcher does, for `planes` planes (members x
// channels), over this rank's reach; reduce() completes its block.
class BlockStitcher {
 public:
  BlockStitcher(const BlockDecomposition& d, long planes);
  // Patch `index` (one of d.patches(d.rank())) of plane `plane`, P x P. The
  // weights are counted with plane 0: add every patch to plane 0 once.
  void add(long index, long plane, const float* patch);
  // Collective: each overlap of a reach with another block goes to that block's rank.
  void reduce();
  // After reduce(): this rank's block of `plane`, rows x cols row-major.
  std::vector<float> result(long plane) const;
  std::uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  const BlockDecomposition& d_;
  long planes_;
  Rect region_;  // the reach, clipped to the field along reflecting axes (mirrored pixels are not summed)
  std::vector<double> numerator_, weight_;
  std::uint64_t bytes_sent_ = 0;
  bool reduced_ = false;  // reduce() turns the reach's sums into the block's
};

// Collective: each rank's values of region_of(rank) (unwrapped rows and
// columns around its block; outside the field wrapped or mirrored as the
// tiling's boundaries say) from every rank's block. `block` holds this rank's
// block of `planes` planes, [planes, rows, cols]; returns [planes, region
// rows, region cols]. bytes_sent, when given, adds what this rank sent.
std::vector<float> fill_regions(const BlockDecomposition& d, const float* block, long planes,
                                const std::function<Rect(int rank)>& region_of, std::uint64_t* bytes_sent = nullptr);

}  // namespace flex::decomp
