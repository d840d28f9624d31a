// Rank-aware logging. info/warn print on rank 0 only; every line starts with
// a fixed tag so batch logs can be grepped. progress() prints the one
// parseable per-step line each long-running subcommand emits:
//   PROGRESS <phase> step=<n> key=value key=value ...
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace flex::log {

void set_rank(int rank);
int rank();
bool is_root();
void set_quiet(bool quiet);

void write_info(const std::string& line);
void write_warn(const std::string& line);
// "flex: error: <line>" on stderr, even when quiet: the one report of an error all ranks share.
void write_error(const std::string& line);
// Printed by whichever rank calls it, tagged with the rank.
void write_any_rank(const std::string& line);

template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream s;
  (s << ... << std::forward<Args>(args));
  return s.str();
}

template <class... Args>
void info(Args&&... args) {
  if (is_root()) write_info(concat(std::forward<Args>(args)...));
}
template <class... Args>
void warn(Args&&... args) {
  if (is_root()) write_warn(concat(std::forward<Args>(args)...));
}
template <class... Args>
void any_rank(Args&&... args) {
  write_any_rank(concat(std::forward<Args>(args)...));
}

using Fields = std::vector<std::pair<std::string, double>>;
// PROGRESS <phase> step=<step> k1=v1 ... (rank 0 only, %.6g numbers).
void progress(const std::string& phase, long step, const Fields& fields);

}  // namespace flex::log
