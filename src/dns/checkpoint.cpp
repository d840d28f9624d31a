#include "flex/dns/checkpoint.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

namespace flex::dns {

namespace {

constexpr char kMagic[8] = {'F', 'L', 'E', 'X', 'D', 'N', 'S', '1'};

// Fixed-size header, then n×n doubles (row-major), then the diagnostics rows.
struct Header {
  char magic[8];
  std::int64_t n, step, next_snapshot, rows;
  double t, t0, re;
  std::uint64_t seed;
};

MPI_Offset field_offset(long row) { return static_cast<MPI_Offset>(sizeof(Header)) + row * 8; }

}  // namespace

std::string checkpoint_name(const std::string& dir, long step) {
  char name[32];
  std::snprintf(name, sizeof name, "chk%09ld.bin", step);
  return (std::filesystem::path(dir) / name).string();
}

std::string latest_checkpoint(const std::string& dir, MPI_Comm comm) {
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  std::string best;
  if (rank == 0 && std::filesystem::is_directory(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.size() == 16 && name.rfind("chk", 0) == 0 && e.path().extension() == ".bin" &&
          (best.empty() || e.path().string() > best))
        best = e.path().string();
    }
  }
  return mpi::broadcast(best, comm);
}

void write_checkpoint(const std::string& path, const Field& omega, const RunState& state, MPI_Comm comm) {
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  const Slab& s = omega.slab();
  const std::string tmp = mpi::broadcast(output::temporary_for(path), comm);
  FLEX_CHECK(s.rows * s.n < (1L << 31), "checkpoint slab too large for one MPI-IO call");
  MPI_File file;
  const bool opened = MPI_File_open(comm, tmp.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &file) ==
                      MPI_SUCCESS;
  if (mpi::any(!opened, comm)) {
    if (opened) note_collectives_abandoned();  // its collective close cannot happen without the others
    mpi::on_root(comm, [&] {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      output::write_failed(path, "cannot create the DNS checkpoint");
    });
  }
  // Every rank makes every collective call whatever failed before, then all agree.
  bool ok = MPI_File_set_size(file, 0) == MPI_SUCCESS;
  std::vector<double> rows(s.rows * s.n);
  for (long i = 0; i < s.rows; ++i) std::memcpy(rows.data() + i * s.n, omega.row(i), s.n * sizeof(double));
  ok = MPI_File_write_at_all(file, field_offset(s.row0 * s.n), rows.data(), static_cast<int>(rows.size()), MPI_DOUBLE,
                             MPI_STATUS_IGNORE) == MPI_SUCCESS && ok;
  if (rank == 0) {
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.n = s.n, h.step = state.step, h.next_snapshot = state.next_snapshot;
    h.rows = static_cast<std::int64_t>(state.diagnostics.size());
    h.t = state.t, h.t0 = state.t0, h.re = state.re, h.seed = state.seed;
    ok = MPI_File_write_at(file, 0, &h, sizeof h, MPI_BYTE, MPI_STATUS_IGNORE) == MPI_SUCCESS && ok;
    ok = MPI_File_write_at(file, field_offset(s.n * s.n), state.diagnostics.data(),
                           static_cast<int>(state.diagnostics.size() * 7), MPI_DOUBLE, MPI_STATUS_IGNORE) ==
             MPI_SUCCESS && ok;
  }
  ok = MPI_File_sync(file) == MPI_SUCCESS && ok;
  ok = MPI_File_close(&file) == MPI_SUCCESS && ok;
  const bool failed = mpi::any(!ok, comm);
  mpi::on_root(comm, [&] {
    if (failed) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      output::write_failed(path, "writing the DNS checkpoint failed");
    }
    output::commit(tmp, path);
  });
}

RunState read_checkpoint(const std::string& path, Field& omega, MPI_Comm comm) {
  const Slab& s = omega.slab();
  MPI_File file;
  const int rc = MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &file);
  FLEX_REQUIRE(rc == MPI_SUCCESS, path << ": cannot open the checkpoint named by dns.restart");
  Header h{};
  MPI_Offset size = 0;
  FLEX_CHECK_MPI(MPI_File_get_size(file, &size));
  if (size >= static_cast<MPI_Offset>(sizeof h))
    FLEX_CHECK_MPI(MPI_File_read_at_all(file, 0, &h, sizeof h, MPI_BYTE, MPI_STATUS_IGNORE));
  const bool valid = size >= static_cast<MPI_Offset>(sizeof h) && std::memcmp(h.magic, kMagic, sizeof kMagic) == 0;
  if (!valid) MPI_File_close(&file);
  FLEX_REQUIRE(valid, path << ": not a flex dns checkpoint (dns.restart)");
  const bool complete = h.n > 0 && h.rows >= 0 && size == field_offset(h.n * h.n) + h.rows * 7 * 8;
  if (!complete || h.n != s.n) MPI_File_close(&file);
  FLEX_REQUIRE(complete, path << ": checkpoint is truncated (dns.restart)");
  FLEX_REQUIRE(h.n == s.n, path << ": checkpoint is on a " << h.n << "² grid but grid.n = " << s.n);
  std::vector<double> rows(s.rows * s.n);
  FLEX_CHECK_MPI(MPI_File_read_at_all(file, field_offset(s.row0 * s.n), rows.data(), static_cast<int>(rows.size()),
                                      MPI_DOUBLE, MPI_STATUS_IGNORE));
  RunState state;
  state.step = h.step, state.t = h.t, state.t0 = h.t0, state.next_snapshot = h.next_snapshot;
  state.re = h.re, state.seed = h.seed;
  state.diagnostics.resize(h.rows);
  FLEX_CHECK_MPI(MPI_File_read_at_all(file, field_offset(s.n * s.n), state.diagnostics.data(),
                                      static_cast<int>(h.rows * 7), MPI_DOUBLE, MPI_STATUS_IGNORE));
  FLEX_CHECK_MPI(MPI_File_close(&file));
  for (long i = 0; i < s.rows; ++i) std::memcpy(omega.row(i), rows.data() + i * s.n, s.n * sizeof(double));
  return state;
}

}  // namespace flex::dns
