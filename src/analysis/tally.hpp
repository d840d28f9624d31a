// A fixed set of running sums and running maxima carried through one Kokkos
// reduction (Kokkos::Sum over a custom scalar: its += adds the sums and takes
// the maxima), then combined over ranks with MPI_SUM / MPI_MAX.
#pragma once

#include <mpi.h>

#include <cfloat>

#include <Kokkos_Core.hpp>

#include "flex/core/error.hpp"

namespace flex::analysis {

template <int NS, int NM>
struct Tally {
  double sum[NS > 0 ? NS : 1];
  double max[NM > 0 ? NM : 1];

  KOKKOS_INLINE_FUNCTION Tally() {
    for (int i = 0; i < NS; ++i) sum[i] = 0.0;
    for (int i = 0; i < NM; ++i) max[i] = -DBL_MAX;
  }
  KOKKOS_INLINE_FUNCTION Tally& operator+=(const Tally& o) {
    for (int i = 0; i < NS; ++i) sum[i] += o.sum[i];
    for (int i = 0; i < NM; ++i) max[i] = o.max[i] > max[i] ? o.max[i] : max[i];
    return *this;
  }
  KOKKOS_INLINE_FUNCTION void operator+=(const volatile Tally& o) volatile {
    for (int i = 0; i < NS; ++i) sum[i] += o.sum[i];
    for (int i = 0; i < NM; ++i) max[i] = o.max[i] > max[i] ? o.max[i] : max[i];
  }

  // Combines the per-rank tallies in place: afterwards every rank holds the totals.
  void allreduce(MPI_Comm comm) {
    if (NS > 0) FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sum, NS, MPI_DOUBLE, MPI_SUM, comm));
    if (NM > 0) FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, max, NM, MPI_DOUBLE, MPI_MAX, comm));
  }
};

}  // namespace flex::analysis

namespace Kokkos {
template <int NS, int NM>
struct reduction_identity<flex::analysis::Tally<NS, NM>> {
  KOKKOS_FORCEINLINE_FUNCTION static flex::analysis::Tally<NS, NM> sum() { return {}; }
};
}  // namespace Kokkos
