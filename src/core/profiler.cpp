#include "flex/core/profiler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>
#include <vector>

#include "flex/core/error.hpp"

namespace flex::prof {

namespace {

struct Stats {
  std::string name;
  long calls = 0;
  double inclusive = 0.0;
  double exclusive = 0.0;
};

struct State {
  std::vector<Stats> regions;
  std::map<std::string, int> index;
  std::vector<double> child_time;  // per open region: time spent in children
};

State& state() {
  static State s;
  return s;
}

double now() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

}  // namespace

Region::Region(const char* name) {
  auto& s = state();
  auto it = s.index.find(name);
  if (it == s.index.end()) {
    it = s.index.emplace(name, static_cast<int>(s.regions.size())).first;
    s.regions.push_back(Stats{name});
  }
  index_ = it->second;
  s.child_time.push_back(0.0);
  child_time_at_start_ = 0.0;
  start_ = now();
}

Region::~Region() {
  auto& s = state();
  const double elapsed = now() - start_;
  const double children = s.child_time.back();
  s.child_time.pop_back();
  auto& r = s.regions[index_];
  r.calls += 1;
  r.inclusive += elapsed;
  r.exclusive += elapsed - children;
  if (!s.child_time.empty()) s.child_time.back() += elapsed;
}

void reset() { state() = State{}; }

double inclusive_seconds(const std::string& name) {
  auto& s = state();
  auto it = s.index.find(name);
  return it == s.index.end() ? 0.0 : s.regions[it->second].inclusive;
}

void report(MPI_Comm comm, std::ostream& out) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  auto& s = state();

  // Union of names: gather newline-joined lists at rank 0, broadcast the result.
  std::string mine;
  for (const auto& r : s.regions) mine += r.name + "\n";
  int my_len = static_cast<int>(mine.size());
  std::vector<int> lens(size), displs(size);
  FLEX_CHECK_MPI(MPI_Gather(&my_len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm));
  std::string all;
  if (rank == 0) {
    int total = 0;
    for (int i = 0; i < size; ++i) displs[i] = total, total += lens[i];
    all.resize(total);
  }
  FLEX_CHECK_MPI(MPI_Gatherv(mine.data(), my_len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, comm));
  std::vector<std::string> names;
  if (rank == 0) {
    std::istringstream in(all);
    for (std::string line; std::getline(in, line);) names.push_back(line);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    all.clear();
    for (const auto& n : names) all += n + "\n";
  }
  int all_len = static_cast<int>(all.size());
  FLEX_CHECK_MPI(MPI_Bcast(&all_len, 1, MPI_INT, 0, comm));
  all.resize(all_len);
  FLEX_CHECK_MPI(MPI_Bcast(all.data(), all_len, MPI_CHAR, 0, comm));
  if (rank != 0) {
    std::istringstream in(all);
    for (std::string line; std::getline(in, line);) names.push_back(line);
  }

  const int n = static_cast<int>(names.size());
  std::vector<double> incl(n, 0.0), excl(n, 0.0), calls(n, 0.0);
  for (int i = 0; i < n; ++i) {
    auto it = s.index.find(names[i]);
    if (it == s.index.end()) continue;
    const auto& r = s.regions[it->second];
    incl[i] = r.inclusive, excl[i] = r.exclusive, calls[i] = static_cast<double>(r.calls);
  }
  auto reduce = [&](const std::vector<double>& v, MPI_Op op) {
    std::vector<double> out(n, 0.0);
    FLEX_CHECK_MPI(MPI_Reduce(v.data(), out.data(), n, MPI_DOUBLE, op, 0, comm));
    return out;
  };
  const auto incl_min = reduce(incl, MPI_MIN), incl_max = reduce(incl, MPI_MAX), incl_sum = reduce(incl, MPI_SUM);
  const auto excl_min = reduce(excl, MPI_MIN), excl_max = reduce(excl, MPI_MAX), excl_sum = reduce(excl, MPI_SUM);
  const auto calls_sum = reduce(calls, MPI_SUM);
  if (rank != 0 || n == 0) return;

  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return excl_max[a] > excl_max[b]; });
  char line[256];
  std::snprintf(line, sizeof line, "%-32s %10s %10s %10s %10s %10s %10s %10s\n", "region", "calls/rank",
                "excl min", "excl avg", "excl max", "incl min", "incl avg", "incl max");
  out << "TIMERS (seconds, over " << size << " rank" << (size > 1 ? "s" : "") << ")\n" << line;
  for (int i : order) {
    std::snprintf(line, sizeof line, "%-32s %10.0f %10.4f %10.4f %10.4f %10.4f %10.4f %10.4f\n",
                  names[i].c_str(), calls_sum[i] / size, excl_min[i], excl_sum[i] / size, excl_max[i],
                  incl_min[i], incl_sum[i] / size, incl_max[i]);
    out << line;
  }
  out.flush();
}

}  // namespace flex::prof
