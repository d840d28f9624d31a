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
Rows fetch_rows(const SlabView& field, long begin, long count, bool periodic);

}  // namespace flex::analysis

namespace flex::analysis {

// The `width` rows before and after this rank's slab, wrapping periodically:
// a stencil then reads the slab in place and only the halo travels.
struct Halo {
  Rows above;  // global rows [row0 - width, row0)
  Rows below;  // global rows [row0 + rows, row0 + rows + width)
};
Halo fetch_periodic_halo(const SlabView& field, long width);

}  // namespace flex::analysis
