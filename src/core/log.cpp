#include "flex/core/log.hpp"

#include <cstdio>

namespace flex::log {

namespace {
int g_rank = 0;
bool g_quiet = false;
}  // namespace

void set_rank(int r) { g_rank = r; }
int rank() { return g_rank; }
bool is_root() { return g_rank == 0; }
void set_quiet(bool quiet) { g_quiet = quiet; }

void write_info(const std::string& line) {
  if (g_quiet) return;
  std::fprintf(stdout, "flex: %s\n", line.c_str());
  std::fflush(stdout);
}

void write_warn(const std::string& line) {
  std::fprintf(stderr, "flex: warning: %s\n", line.c_str());
  std::fflush(stderr);
}

void write_error(const std::string& line) {
  std::fprintf(stderr, "flex: error: %s\n", line.c_str());
  std::fflush(stderr);
}

void write_any_rank(const std::string& line) {
  std::fprintf(stderr, "flex[rank %d]: %s\n", g_rank, line.c_str());
  std::fflush(stderr);
}

void progress(const std::string& phase, long step, const Fields& fields) {
  if (!is_root() || g_quiet) return;
  std::string line = "PROGRESS " + phase + " step=" + std::to_string(step);
  char buf[64];
  for (const auto& [key, value] : fields) {
    std::snprintf(buf, sizeof buf, "%.6g", value);
    line += " " + key + "=" + buf;
  }
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace flex::log
