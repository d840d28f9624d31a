// What the `flex analyze` command-line tests share: the fixture files in a
// scratch directory made once per test program, the command run in-process on
// every rank, and readers for the tables it writes.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixture_files.hpp"
#include "flex/app/cli.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"

namespace flex::analysis::cli_test {

namespace fs = std::filesystem;

inline int world_size() {
  int s = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &s));
  return s;
}
inline bool is_root() {
  int r = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &r));
  return r == 0;
}

// One scratch directory per run (rank 0's pid), removed after the last test.
class Scratch : public ::testing::Environment {
 public:
  static const std::string& dir() {
    static const std::string d = [] {
      const std::string path = mpi::broadcast(
          (fs::temp_directory_path() / ("flex_analyze_cli_" + std::to_string(::getpid()))).string(), MPI_COMM_WORLD);
      testing::write_fixture(path, MPI_COMM_WORLD);
      return path;
    }();
    return d;
  }
  void TearDown() override {
    FLEX_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    if (is_root()) fs::remove_all(dir());
  }
};
inline const auto* const kScratch = ::testing::AddGlobalTestEnvironment(new Scratch);

inline std::string fixture_dir() { return Scratch::dir(); }

// `flex analyze <args>`; its exit code.
inline int run_flex(std::vector<std::string> args) {
  args.insert(args.begin(), {"flex", "analyze"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  char** p = argv.data();
  return cli_main(argc, p);
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rows of a CSV file as cells (header included).
inline std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    std::string cell;
    while (std::getline(l, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace flex::analysis::cli_test
