// Scoped region timers in the spirit of AMReX's TinyProfiler. Regions nest;
// exclusive time excludes nested regions. report() is collective and prints,
// on rank 0, calls and inclusive/exclusive min/avg/max over ranks.
#pragma once

#include <mpi.h>

#include <iosfwd>
#include <string>

namespace flex::prof {

class Region {
 public:
  explicit Region(const char* name);
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

 private:
  int index_;
  double start_;
  double child_time_at_start_;
};

// Collective over comm: union of region names across ranks, one table on rank 0.
void report(MPI_Comm comm, std::ostream& out);
void reset();

// Seconds spent in `name` so far on this rank (inclusive), 0 if never entered.
double inclusive_seconds(const std::string& name);

}  // namespace flex::prof

#define FLEX_PROFILE_CAT2(a, b) a##b
#define FLEX_PROFILE_CAT(a, b) FLEX_PROFILE_CAT2(a, b)
#define FLEX_PROFILE(name) ::flex::prof::Region FLEX_PROFILE_CAT(flex_prof_region_, __LINE__)(name)
