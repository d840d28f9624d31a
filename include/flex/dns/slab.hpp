// The periodic N x N grid on [0, 2π)² split into row slabs over ranks (axis 0
// is x, the FFTW-MPI distributed axis), and the double-precision fields that
// live on a slab with one halo cell on every side, so the 9-point Arakawa
// stencil reads its neighbours without wrapping indices.
#pragma once

#include <mpi.h>

#include <vector>

namespace flex::dns {

struct Slab {
  long n = 0;     // grid points per direction
  long row0 = 0;  // first global row (x index) held here
  long rows = 0;  // rows held here

  double h() const;  // dx = dy = 2π / n
  // The whole grid (one rank).
  static Slab whole(long n);
  // This rank's share: n / size rows each (n must be divisible by size).
  static Slab of_rank(long n, int rank, int size);
};

class Field {
 public:
  Field() = default;
  explicit Field(const Slab& slab);

  const Slab& slab() const { return slab_; }
  long stride() const { return slab_.n + 2; }
  // Row i in [-1, rows], then index j in [-1, n]: the halo is row/column -1 and rows/n.
  double* row(long i) { return data_.data() + (i + 1) * stride() + 1; }
  const double* row(long i) const { return data_.data() + (i + 1) * stride() + 1; }
  double& operator()(long i, long j) { return row(i)[j]; }
  double operator()(long i, long j) const { return row(i)[j]; }

 private:
  Slab slab_;
  std::vector<double> data_;
};

// Periodic halo fill: columns within each row, then rows from the ranks that
// hold the neighbouring slabs (x-periodic; a single rank wraps onto itself).
// Collective over comm.
void exchange_halos(Field& f, MPI_Comm comm);

// Global grid index of a coordinate: x_i = i h, y_j = j h.
inline double coordinate(long index, double h) { return static_cast<double>(index) * h; }

}  // namespace flex::dns
