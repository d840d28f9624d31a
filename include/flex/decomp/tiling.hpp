// Tiling of an H x W field into fixed-size P x P patches that overlap by a
// halo, and stitching back with a partition of unity. Pure functions on raw
// row-major float planes, no MPI (blocks.hpp spreads a tiling over ranks).
//
// Patch i covers rows [r0 - halo, r0 - halo + P) (same for columns), where the
// cores r0 are spread evenly so every pixel is covered; pixels outside the
// field come from periodic wrap or mirror reflection.
#pragma once

#include <string>
#include <vector>


namespace flex::decomp {

enum class Boundary { Periodic, Reflect };

// Per axis: a latitude-longitude field reflects at the poles (rows) and wraps
// in longitude (columns). One Boundary converts to both axes alike.
struct Boundaries {
  Boundary rows = Boundary::Periodic, cols = Boundary::Periodic;
  Boundaries() = default;
  Boundaries(Boundary both) : rows(both), cols(both) {}  // NOLINT(google-explicit-constructor)
  Boundaries(Boundary r, Boundary c) : rows(r), cols(c) {}
  bool operator==(const Boundaries& o) const { return rows == o.rows && cols == o.cols; }
  bool operator!=(const Boundaries& o) const { return !(*this == o); }
};
// Deck words periodic | reflect, or <rows>,<cols> (e.g. reflect,periodic); and back.
Boundaries parse_boundaries(const std::string& text);
std::string boundaries_name(const Boundaries& b);

struct TilingSpec {
  long height = 0, width = 0;  // field size
  long patch = 256;            // P: patch side, what the network sees
  long halo = 0;               // overlap on each side, 0 <= halo < P/2
  Boundaries boundary;
};

struct Patch {
  long index;      // row-major over the patch grid
  long row0, col0;  // top-left of the P x P patch in field coordinates (may be < 0)
};

class Tiling {
 public:
  explicit Tiling(const TilingSpec& spec);

  const TilingSpec& spec() const { return spec_; }
  long rows() const { return static_cast<long>(row_starts_.size()); }  // patches along H
  long cols() const { return static_cast<long>(col_starts_.size()); }  // patches along W
  long count() const { return rows() * cols(); }
  Patch patch(long index) const;
  // First field row (column) of the core of patch row i (column j); i = rows()
  // gives the height (j = cols() the width): core i is [core_row(i), core_row(i + 1)).
  long core_row(long i) const;
  long core_col(long j) const;

  // Field coordinate a patch-local row/column maps to (after wrap/reflection).
  long field_row(long r) const;
  long field_col(long c) const;

  // Copy patch `index` out of `field` (H x W) into `out` (P x P).
  void extract(const float* field, long index, float* out) const;

  // Smooth blending weight of patch-local pixel (i, j): a cosine ramp over
  // the halo (never zero inside the patch), 1 in the core.
  double weight(long i, long j) const;

 private:
  TilingSpec spec_;
  std::vector<long> row_starts_, col_starts_;
  std::vector<double> ramp_;  // 1D weight profile over 0..P-1
};

// Accumulates weighted patches of a whole field on one rank (the reference
// BlockStitcher is tested against); result() divides by the summed weights,
// so weights form an exact partition of unity wherever a pixel is covered.
class Stitcher {
 public:
  explicit Stitcher(const Tiling& tiling);
  void add(long index, const float* patch);
  // Stitched H x W field.
  std::vector<float> result() const;

 private:
  const Tiling& tiling_;
  std::vector<double> numerator_, weight_;
};

}  // namespace flex::decomp
