// Moving rows of a row-slab field between ranks: halos for stencils and
// windows, and the re-slabbing FFTW-MPI wants. Only the rows a rank asks for
// travel (one MPI_Alltoallv), never the whole field.
#pragma once

#include "flex/analysis/view.hpp"

namespace flex::analysis {

using Rows = Kokkos::View<float**, Kokkos::LayoutRight, MemSpace>;

// Global rows [begin, begin + count) of `field`, in that order. With
// `periodic` the indices wrap modulo global_rows; otherwise they are clipped
// to [0, global_rows) and the result may hold fewer rows (check extent(0)).
// Collective over field.comm; every rank passes its own range.
Rows fetch_rows(const Slab& field, long begin, long count, bool periodic);

}  // namespace flex::analysis
