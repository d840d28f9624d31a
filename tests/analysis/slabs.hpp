// Test fixtures: global fields built on every rank from a formula or a seeded
// generator, then cut into row slabs (even, or deliberately skewed) so each
// test can compare a split computation with the whole-field one.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "flex/analysis/view.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"

namespace flex::analysis::testing {

struct Field {
  long rows = 0, cols = 0;
  std::vector<float> data;  // row-major global field
  float& operator()(long r, long c) { return data[r * cols + c]; }
  float operator()(long r, long c) const { return data[r * cols + c]; }
};

inline Field make_field(long rows, long cols) { return {rows, cols, std::vector<float>(rows * cols, 0.f)}; }

inline Field random_field(long rows, long cols, unsigned seed, double mean = 0, double std = 1) {
  Field f = make_field(rows, cols);
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(mean, std);
  for (auto& x : f.data) x = static_cast<float>(normal(gen));
  return f;
}

// Rows [begin, end) of rank `rank`: even split, or skewed: rank 0 takes two
// thirds, the middle ranks 3 rows each (rank 2 none, with 4 or more ranks),
// the last rank the rest.
inline mpi::Range split(long rows, int rank, int size, bool skewed) {
  if (!skewed || size == 1) return mpi::share(rows, rank, size);
  long begin = 0;
  for (int r = 0; r < size; ++r) {
    long take = r == 0 ? 2 * rows / 3 : (r == size - 1 ? rows - begin : (r == 2 ? 0 : 3));
    take = std::min(take, rows - begin);
    if (r == rank) return {begin, begin + take};
    begin += take;
  }
  return {rows, rows};
}

// A slab of `f` owned by the test (device copy when the build wants one).
struct OwnedSlab {
  Kokkos::View<float**, Kokkos::LayoutRight, MemSpace> view;
  SlabView slab;
};

inline OwnedSlab distribute(const Field& f, MPI_Comm comm, bool skewed = false) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const auto range = split(f.rows, rank, size, skewed);
  OwnedSlab out;
  out.view = Kokkos::View<float**, Kokkos::LayoutRight, MemSpace>("test::slab", range.size(), f.cols);
  auto host = Kokkos::create_mirror_view(out.view);
  std::copy(f.data.begin() + range.begin * f.cols, f.data.begin() + range.end * f.cols, host.data());
  Kokkos::deep_copy(out.view, host);
  out.slab = SlabView{out.view, range.begin, f.rows, comm};
  return out;
}

// Ensemble members stacked (member, rows, cols), split like distribute().
struct OwnedStack {
  Kokkos::View<float***, Kokkos::LayoutRight, MemSpace> view;
  StackSlab slab;
};

inline OwnedStack distribute(const std::vector<Field>& members, MPI_Comm comm, bool skewed = false) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const long rows = members.front().rows, cols = members.front().cols;
  const auto range = split(rows, rank, size, skewed);
  OwnedStack out;
  out.view = Kokkos::View<float***, Kokkos::LayoutRight, MemSpace>("test::stack", members.size(), range.size(), cols);
  auto host = Kokkos::create_mirror_view(out.view);
  for (size_t m = 0; m < members.size(); ++m)
    std::copy(members[m].data.begin() + range.begin * cols, members[m].data.begin() + range.end * cols,
              host.data() + m * range.size() * cols);
  Kokkos::deep_copy(out.view, host);
  out.slab = StackSlab{out.view, range.begin, rows, comm};
  return out;
}

inline double rel_diff(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::max(std::abs(a), std::abs(b))); }

}  // namespace flex::analysis::testing
