#include "flex/dns/slab.hpp"

#include <algorithm>
#include <cmath>

#include "flex/core/error.hpp"

namespace flex::dns {

double Slab::h() const { return 2.0 * M_PI / static_cast<double>(n); }

Slab Slab::whole(long n) { return {n, 0, n}; }

Slab Slab::of_rank(long n, int rank, int size) {
  FLEX_CHECK(n % size == 0, "grid " << n << " not divisible by " << size << " ranks");
  const long rows = n / size;
  return {n, rank * rows, rows};
}

Field::Field(const Slab& slab) : slab_(slab), data_((slab.rows + 2) * (slab.n + 2), 0.0) {}

void exchange_halos(Field& f, MPI_Comm comm) {
  const long n = f.slab().n, rows = f.slab().rows;
  for (long i = 0; i < rows; ++i) {
    double* r = f.row(i);
    r[-1] = r[n - 1];
    r[n] = r[0];
  }
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const int count = static_cast<int>(f.stride());
  if (size == 1) {
    std::copy(f.row(rows - 1) - 1, f.row(rows - 1) - 1 + count, f.row(-1) - 1);
    std::copy(f.row(0) - 1, f.row(0) - 1 + count, f.row(rows) - 1);
    return;
  }
  const int below = (rank + size - 1) % size, above = (rank + 1) % size;
  // Last row goes up (becomes the neighbour's row -1); first row goes down.
  FLEX_CHECK_MPI(MPI_Sendrecv(f.row(rows - 1) - 1, count, MPI_DOUBLE, above, 0, f.row(-1) - 1, count, MPI_DOUBLE,
                              below, 0, comm, MPI_STATUS_IGNORE));
  FLEX_CHECK_MPI(MPI_Sendrecv(f.row(0) - 1, count, MPI_DOUBLE, below, 1, f.row(rows) - 1, count, MPI_DOUBLE, above, 1,
                              comm, MPI_STATUS_IGNORE));
}

}  // namespace flex::dns
