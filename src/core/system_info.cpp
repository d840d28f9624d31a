#include "flex/core/system_info.hpp"

#include "flex/build_commit.hpp"

#include <link.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace flex::sysinfo {

namespace {
int collect_blas(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  const std::string name = info->dlpi_name ? info->dlpi_name : "";
  if (name.find("blas") != std::string::npos) {
    char resolved[PATH_MAX];
    const std::string real = realpath(name.c_str(), resolved) ? std::string(resolved) : name;
    if (out->find(real) == std::string::npos) *out += (out->empty() ? "" : "; ") + real;
  }
  return 0;
}
}  // namespace

std::string active_blas() {
  std::string found;
  dl_iterate_phdr(collect_blas, &found);
  return found.empty() ? std::string("none loaded") : found;
}

std::size_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

std::size_t current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::string build_commit() { return FLEX_BUILD_COMMIT; }

std::string hostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

namespace {
const char* const kFeatures[] = {"avx2", "avx512f", "avx512_bf16", "amx_bf16"};

// The first "flags" line of /proc/cpuinfo, as a set of words.
std::set<std::string> cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> flags;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}
}  // namespace

std::string cpu_features() {
  const auto flags = cpu_flags();
  std::string present, all;
  for (const char* f : kFeatures) {
    all += (all.empty() ? "" : " ") + std::string(f);
    if (flags.count(f)) present += (present.empty() ? "" : " ") + std::string(f);
  }
  return present.empty() ? "none of " + all : present;
}

bool cpu_has_native_bf16() {
  const auto flags = cpu_flags();
  return flags.count("avx512_bf16") > 0 || flags.count("amx_bf16") > 0;
}

void keep_freed_memory() {
  mallopt(M_MMAP_MAX, 0);              // large blocks from the heap, not fresh (faulting) mmaps
  mallopt(M_TRIM_THRESHOLD, -1);       // never give the heap top back
  mallopt(M_ARENA_MAX, 4);             // bounded arenas for the data prefetch thread
}

}  // namespace flex::sysinfo
