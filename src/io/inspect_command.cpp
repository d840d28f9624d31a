#include "flex/io/inspect_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "flex/app/command.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/profiler.hpp"
#include "flex/io/fields.hpp"

namespace flex {

void declare_inspect_keys(DeckSchema& s) {
  s.add_path("inspect.file", "", "field file to inspect (HDF5, `fields` [N,C,H,W] or `w` [T,H,W])");
  s.add_string("inspect.dataset", "", "dataset name (empty: `fields`, else `w`)");
  s.add_ints("inspect.expect", "", "expected shape N,C,H,W (-1 for any); a mismatch is an error").range(-1, {});
}

int run_inspect(const RunContext& ctx) {
  FLEX_PROFILE("inspect");
  const auto& deck = ctx.deck;
  const std::string path = deck.get_string("inspect.file");
  FLEX_REQUIRE(!path.empty(), deck.source() << ": key 'inspect.file' is required");
  io::FieldReader reader(path, ctx.env.comm(), deck.get_string("inspect.dataset"));
  const auto s = reader.shape();

  const auto expect = deck.get_ints("inspect.expect");
  if (!expect.empty()) {
    FLEX_REQUIRE(expect.size() == 4, deck.source() << ": key 'inspect.expect' needs 4 entries N,C,H,W");
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
  const auto mine = comm::share(s.n, ctx.env.rank(), ctx.env.size());
  const long steps = (s.n + ctx.env.size() - 1) / ctx.env.size();  // every rank joins every collective read
  std::vector<float> plane(static_cast<size_t>(s.c * s.h * s.w));
  for (long k = 0; k < steps; ++k) {
    const long n = mine.begin + k;
    const bool active = n < mine.end;
    reader.read(active ? io::Hyperslab::snapshots(s, n, 1) : io::Hyperslab{}, plane.data());
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
  MPI_Comm comm = ctx.env.comm();
  MPI_Allreduce(MPI_IN_PLACE, sum.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, sumsq.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, lo.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_MIN, comm);
  MPI_Allreduce(MPI_IN_PLACE, hi.data(), static_cast<int>(s.c), MPI_DOUBLE, MPI_MAX, comm);
  nonfinite = comm::sum(nonfinite, comm);

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

}  // namespace flex
