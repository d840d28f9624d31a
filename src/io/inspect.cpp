#include "flex/io/inspect.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/profiler.hpp"
#include "flex/io/fields.hpp"

namespace flex::io {

int inspect(const InspectConfig& config, MPI_Comm comm) {
  FLEX_PROFILE("inspect");
  const std::string& path = config.file;
  FieldReader reader(path, comm, config.dataset);
  const auto s = reader.shape();
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));

  const auto& expect = config.expect;
  if (!expect.empty()) {
    const long got[4] = {s.n, s.c, s.h, s.w};
    for (int i = 0; i < 4; ++i)
      FLEX_REQUIRE(expect[i] < 0 || expect[i] == got[i],
                   path << ": dataset '" << reader.dataset() << "' has shape [" << s.n << ", " << s.c << ", " << s.h
                        << ", " << s.w << "], but inspect.expect asks for [" << expect[0] << ", " << expect[1]
                        << ", " << expect[2] << ", " << expect[3] << "]");
  }

  // One snapshot at a time keeps memory at one plane set whatever N is.
  std::vector<double> sum(s.c, 0.0), sumsq(s.c, 0.0), lo(s.c, std::numeric_limits<double>::infinity()),
      hi(s.c, -std::numeric_limits<double>::infinity());
  long nonfinite = 0;
  const auto mine = mpi::share(s.n, rank, size);
  const long steps = (s.n + size - 1) / size;  // every rank joins every collective read
  std::vector<float> plane(static_cast<size_t>(s.c * s.h * s.w));
  for (long k = 0; k < steps; ++k) {
    const long n = mine.begin + k;
    const bool active = n < mine.end;
    reader.read(active ? Hyperslab::snapshots(s, n, 1) : Hyperslab{}, plane.data());
    if (!active) continue;
    for (long c = 0; c < s.c; ++c)
      for (long i = 0; i < s.h * s.w; ++i) {
        const double x = plane[static_cast<size_t>(c * s.h * s.w + i)];
        if (!std::isfinite(x)) {
          ++nonfinite;
          continue;
        }
        sum[c] += x, sumsq[c] += x * x, lo[c] = std::min(lo[c], x), hi[c] = std::max(hi[c], x);
      }
  }
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sum.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_SUM, comm));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sumsq.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_SUM, comm));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, lo.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_MIN, comm));
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, hi.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_MAX, comm));
  nonfinite = mpi::sum(nonfinite, comm);

  log::info(path, ": dataset '", reader.dataset(), "' shape [", s.n, ", ", s.c, ", ", s.h, ", ", s.w, "]");
  for (const char* attr : {"Re", "dt", "seed", "channels"}) {
    if (!reader.has_attribute(attr)) continue;
    if (std::string(attr) == "channels")
      log::info("  ", attr, " = ", reader.attribute_string(attr));
    else
      log::info("  ", attr, " = ", reader.attribute_doubles(attr).front());
  }
  const double count = static_cast<double>(s.n * s.h * s.w);
  for (long c = 0; c < s.c; ++c) {
    const double mean = sum[c] / count;
    const double std = std::sqrt(std::max(0.0, sumsq[c] / count - mean * mean));
    log::info("  channel ", c, ": mean ", mean, "  std ", std, "  min ", lo[c], "  max ", hi[c]);
  }
  FLEX_REQUIRE(nonfinite == 0, path << ": " << nonfinite << " values are NaN or infinite");
  return 0;
}

}  // namespace flex::io
