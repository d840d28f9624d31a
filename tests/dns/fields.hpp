// Test helpers: fields defined by a function of the global grid point (so they
// do not depend on the rank count), and global reductions over slabs.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "flex/core/seed.hpp"
#include "flex/dns/slab.hpp"
#include "flex/dns/verification.hpp"

namespace flex::dns::test {

inline Slab world_slab(long n) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return Slab::of_rank(n, rank, size);
}

using verify::noise;
using verify::sample;

// Σ over the grid of f(a(i,j), b(i,j)).
template <class F>
double global_sum(const Field& a, const Field& b, F f, MPI_Comm comm = MPI_COMM_WORLD) {
  double local = 0;
  for (long i = 0; i < a.slab().rows; ++i)
    for (long j = 0; j < a.slab().n; ++j) local += f(a(i, j), b(i, j));
  double total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, comm);
  return total;
}

inline double max_abs_diff(const Field& a, const Field& b, MPI_Comm comm = MPI_COMM_WORLD) {
  double local = 0;
  for (long i = 0; i < a.slab().rows; ++i)
    for (long j = 0; j < a.slab().n; ++j) local = std::max(local, std::abs(a(i, j) - b(i, j)));
  double total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_MAX, comm);
  return total;
}

inline double max_abs(const Field& a, MPI_Comm comm = MPI_COMM_WORLD) {
  Field zero(a.slab());
  return max_abs_diff(a, zero, comm);
}

}  // namespace flex::dns::test
