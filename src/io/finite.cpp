#include "flex/io/finite.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/profiler.hpp"
#include "flex/io/fields.hpp"

namespace flex::io {

FiniteScan scan_finite(const FieldReader& reader, const std::vector<long>& snapshots,
                       const std::vector<long>& channels, MPI_Comm comm) {
  FLEX_PROFILE("io::scan_finite");
  const auto t0 = std::chrono::steady_clock::now();
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const FieldShape s = reader.shape();
  std::vector<long> wanted = channels;
  if (wanted.empty())
    for (long c = 0; c < s.c; ++c) wanted.push_back(c);
  const long plane = s.h * s.w;
  FiniteScan out;
  long first[5] = {-1, -1, -1, -1, -1};  // snapshot, channel, row, col (this rank's first bad value)
  std::vector<float> buffer(static_cast<size_t>(s.c * plane));
  const auto mine = mpi::share(static_cast<long>(snapshots.size()), rank, size);
  const long rounds = (static_cast<long>(snapshots.size()) + size - 1) / size;  // every rank joins every read
  for (long k = 0; k < rounds; ++k) {
    const long i = mine.begin + k;
    const bool active = i < mine.end;
    const long n = active ? snapshots[static_cast<size_t>(i)] : 0;
    reader.read(active ? Hyperslab::snapshots(s, n, 1) : Hyperslab{}, buffer.data());
    if (!active) continue;
    for (long c : wanted) {
      const float* p = buffer.data() + c * plane;
      out.values += plane;
      for (long j = 0; j < plane; ++j) {
        if (std::isfinite(p[j])) continue;
        if (out.bad++ == 0 && first[0] < 0) first[0] = n, first[1] = c, first[2] = j / s.w, first[3] = j % s.w;
      }
    }
  }
  out.values = mpi::sum(out.values, comm);
  out.bad = mpi::sum(out.bad, comm);
  if (out.bad > 0) {
    // The lowest failing snapshot's rank tells where.
    long key = first[0] < 0 ? s.n : first[0], lowest = 0;
    FLEX_CHECK_MPI(MPI_Allreduce(&key, &lowest, 1, MPI_LONG, MPI_MIN, comm));
    int owner = key == lowest ? rank : size, root = size;
    FLEX_CHECK_MPI(MPI_Allreduce(&owner, &root, 1, MPI_INT, MPI_MIN, comm));
    FLEX_CHECK_MPI(MPI_Bcast(first, 4, MPI_LONG, root, comm));
    out.snapshot = first[0], out.channel = first[1], out.row = first[2], out.col = first[3];
  }
  out.seconds = mpi::max(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), comm);
  return out;
}

void require_finite(const FieldReader& reader, const std::vector<long>& snapshots, const std::vector<long>& channels,
                    MPI_Comm comm, const std::string& what) {
  const FiniteScan scan = scan_finite(reader, snapshots, channels, comm);
  log::info(what, ": ", reader.path(), ": ", scan.values, " values of ", snapshots.size(),
            " snapshot(s) checked finite in ", scan.seconds, " s (run.check_finite)");
  FLEX_REQUIRE(scan.bad == 0, reader.path() << ": dataset '" << reader.dataset() << "' (" << what << ") holds "
                                            << scan.bad << " NaN or infinite value(s); the first at snapshot "
                                            << scan.snapshot << ", channel " << scan.channel << ", row " << scan.row
                                            << ", column " << scan.col
                                            << " (`flex inspect` reports the file; run.check_finite = false skips "
                                               "this check)");
}

}  // namespace flex::io
