#include "rows.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "flex/core/error.hpp"

namespace flex::analysis {

namespace {

struct RankRows {
  long row0, rows;      // what the rank holds
  long begin, count;    // what it asks for (already wrapped/clipped)
};

long wrap(long g, long n) { return ((g % n) + n) % n; }

int owner_of(long g, const std::vector<RankRows>& ranks) {
  for (size_t r = 0; r < ranks.size(); ++r)
    if (g >= ranks[r].row0 && g < ranks[r].row0 + ranks[r].rows) return static_cast<int>(r);
  return -1;
}

}  // namespace

Rows fetch_rows(const SlabView& field, long begin, long count, bool periodic) {
  const long n = field.global_rows, cols = field.cols();
  FLEX_CHECK(count >= 0 && (!periodic || n > 0), "fetch_rows: bad request [" << begin << ", +" << count << ")");
  if (!periodic) {
    const long end = std::min(n, begin + count);
    begin = std::max(0L, begin);
    count = std::max(0L, end - begin);
  }
  int size = 1, rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_size(field.comm, &size));
  FLEX_CHECK_MPI(MPI_Comm_rank(field.comm, &rank));

  // Every rank learns who holds what and who wants what: 4 numbers per rank.
  std::array<long, 4> mine{field.row0, field.rows(), begin, count};
  std::vector<long> all(4 * static_cast<size_t>(size));
  FLEX_CHECK_MPI(MPI_Allgather(mine.data(), 4, MPI_LONG, all.data(), 4, MPI_LONG, field.comm));
  std::vector<RankRows> ranks(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) ranks[r] = {all[4 * r], all[4 * r + 1], all[4 * r + 2], all[4 * r + 3]};

  // Stage through host memory: MPI may not read device pointers.
  auto local = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), field.local);

  // Send: for each destination, the rows it asks for that this rank holds, in request order.
  std::vector<int> send_counts(size, 0), send_displs(size, 0);
  std::vector<float> send;
  for (int d = 0; d < size; ++d) {
    send_displs[d] = static_cast<int>(send.size());
    for (long i = 0; i < ranks[d].count; ++i) {
      const long g = periodic ? wrap(ranks[d].begin + i, n) : ranks[d].begin + i;
      if (g < field.row0 || g >= field.row0 + field.rows()) continue;
      const float* row = local.data() + (g - field.row0) * cols;
      send.insert(send.end(), row, row + cols);
    }
    send_counts[d] = static_cast<int>(send.size()) - send_displs[d];
  }

  // Receive: grouped by owner, each group in request order.
  std::vector<int> owner(static_cast<size_t>(count));
  std::vector<int> recv_counts(size, 0), recv_displs(size, 0);
  for (long i = 0; i < count; ++i) {
    const long g = periodic ? wrap(begin + i, n) : begin + i;
    owner[i] = owner_of(g, ranks);
    FLEX_CHECK(owner[i] >= 0, "fetch_rows: global row " << g << " is held by no rank");
    recv_counts[owner[i]] += static_cast<int>(cols);
  }
  for (int r = 1; r < size; ++r) recv_displs[r] = recv_displs[r - 1] + recv_counts[r - 1];
  std::vector<float> recv(static_cast<size_t>(count * cols));
  FLEX_CHECK_MPI(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_FLOAT, recv.data(),
                               recv_counts.data(), recv_displs.data(), MPI_FLOAT, field.comm));

  Rows out(Kokkos::view_alloc(Kokkos::WithoutInitializing, "analysis::fetched_rows"), static_cast<size_t>(count),
           static_cast<size_t>(cols));
  auto host = Kokkos::create_mirror_view(out);
  std::vector<int> cursor = recv_displs;
  for (long i = 0; i < count; ++i) {
    std::copy_n(recv.data() + cursor[owner[i]], cols, host.data() + i * cols);
    cursor[owner[i]] += static_cast<int>(cols);
  }
  Kokkos::deep_copy(out, host);
  return out;
}

}  // namespace flex::analysis

namespace flex::analysis {

Halo fetch_periodic_halo(const SlabView& field, long width) {
  Halo h;
  h.above = fetch_rows(field, field.row0 - width, width, true);
  h.below = fetch_rows(field, field.row0 + field.rows(), width, true);
  return h;
}

}  // namespace flex::analysis
