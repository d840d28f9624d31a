#include "flex/train/data_check.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/profiler.hpp"

namespace flex::train {

std::vector<std::int64_t> snapshots_read(const std::vector<std::int64_t>& split, std::int64_t n, bool sr, bool fc,
                                         std::int64_t horizon) {
  std::vector<std::int64_t> out;
  for (const std::int64_t t : split) {
    if (sr) out.push_back(t);
    if (fc && t - horizon >= 0 && t + horizon < n) out.insert(out.end(), {t - horizon, t, t + horizon});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

DataScan scan_data(const data::FieldSource& source, const std::vector<std::int64_t>& snapshots,
                   std::int64_t channel, MPI_Comm comm) {
  FLEX_PROFILE("train::scan_data");
  const auto t0 = std::chrono::steady_clock::now();
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const std::int64_t rows = source.rows(), cols = source.cols(), plane = rows * cols;
  DataScan out;
  // The first bad value as one ordered number: snapshot * plane + position.
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  long values = 0, bad = 0;
  // Reads are local (the sources read on MPI_COMM_SELF), so shares may
  // differ in size; agreed, so a read error on one rank reaches all of them
  // before the reductions.
  mpi::agree(comm, [&] {
    const mpi::Range mine = mpi::share(static_cast<long>(snapshots.size()), rank, size);
    for (long i = mine.begin; i < mine.end; ++i) {
      const std::int64_t n = snapshots[static_cast<std::size_t>(i)];
      const at::Tensor not_finite = torch::isfinite(source.read_window(n, channel, 0, rows, 0, cols)).logical_not();
      values += static_cast<long>(plane);
      const long count = not_finite.sum().item<std::int64_t>();
      if (count > 0 && first == std::numeric_limits<std::int64_t>::max())
        first = n * plane + not_finite.flatten().nonzero()[0][0].item<std::int64_t>();
      bad += count;
    }
  });
  out.values = mpi::sum(values, comm);
  out.bad = mpi::sum(bad, comm);
  std::int64_t lowest = first;
  FLEX_CHECK_MPI(MPI_Allreduce(&first, &lowest, 1, MPI_INT64_T, MPI_MIN, comm));
  if (out.bad > 0) {
    out.snapshot = lowest / plane;
    out.row = (lowest % plane) / cols;
    out.col = lowest % cols;
  }
  out.seconds = mpi::max(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), comm);
  return out;
}

void require_finite_data(const data::FieldSource& source, const std::vector<std::int64_t>& snapshots,
                         std::int64_t channel, const std::string& about, const std::string& role, MPI_Comm comm) {
  const DataScan scan = scan_data(source, snapshots, channel, comm);
  log::info("train: ", role, " data ", source.name(), ": ", scan.values, " values of ", snapshots.size(),
            " snapshot(s), channel ", channel, ", checked finite in ", scan.seconds, " s (run.check_finite)");
  const char* snapshots_key = role == "validation" ? "data.valid_snapshots" : "data.train_snapshots";
  FLEX_REQUIRE(scan.bad == 0, source.name() << ": snapshot " << scan.snapshot << ", channel " << channel
                                            << " holds NaN or infinite values (" << scan.bad << " in the snapshots "
                                            << role << " reads, the first at row " << scan.row << ", column "
                                            << scan.col << "; " << about << "): repair the file or leave it or the "
                                            << "snapshot out (" << snapshots_key
                                            << "), or set run.check_finite = false to skip this check");
}

}  // namespace flex::train
