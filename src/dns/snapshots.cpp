#include "flex/dns/snapshots.hpp"

#include <cstdio>
#include <filesystem>

#include "flex/core/error.hpp"
#include "flex/dns/stencils.hpp"
#include "flex/io/fields.hpp"

namespace flex::dns {

SnapshotStore::SnapshotStore(const RunConfig& config, const Slab& slab, MPI_Comm comm)
    : config_(config), slab_(slab), comm_(comm) {}

std::string SnapshotStore::part_path(long k) const {
  char name[32];
  std::snprintf(name, sizeof name, "snap%07ld.h5", k);
  return (std::filesystem::path(config_.parts_dir()) / name).string();
}

void SnapshotStore::write(long k, double t, const Field& omega, const Field& psi) {
  const long n = slab_.n, rows = slab_.rows, plane = rows * n;
  Field u(slab_), v(slab_);
  velocity(psi, u, v);
  std::vector<float> data(config_.channels.size() * plane);
  for (size_t c = 0; c < config_.channels.size(); ++c) {
    const Field& f = config_.channels[c] == "u" ? u : config_.channels[c] == "v" ? v : omega;
    for (long i = 0; i < rows; ++i)
      for (long j = 0; j < n; ++j) data[c * plane + i * n + j] = static_cast<float>(f(i, j));
  }
  io::WriterOptions options;
  options.overwrite = true;  // parts belong to this run; a restart rewrites those after its checkpoint
  options.channel_names = config_.channels;
  options.write_xdmf = false;
  const io::FieldShape shape{1, static_cast<long>(config_.channels.size()), n, n};
  io::FieldWriter writer(part_path(k), comm_, shape, options);
  writer.write({0, 1, 0, shape.c, slab_.row0, rows, 0, n}, data.data());
  writer.set_attribute("time", t);
  writer.close();
}

void SnapshotStore::assemble(long count, const std::function<void(io::FieldWriter&)>& annotate) {
  const long n = slab_.n, channels = static_cast<long>(config_.channels.size());
  io::WriterOptions options;
  options.overwrite = config_.overwrite;
  options.channel_names = config_.channels;
  options.dx = options.dy = slab_.h();
  io::FieldWriter writer(config_.field_path(), comm_, {count, channels, n, n}, options);
  std::vector<double> times(count);
  std::vector<float> data(channels * slab_.rows * n);
  for (long k = 0; k < count; ++k) {
    io::FieldReader part(part_path(k), comm_);
    FLEX_CHECK(part.shape().c == channels && part.shape().h == n, part_path(k) << ": part has the wrong shape");
    part.read({0, 1, 0, channels, slab_.row0, slab_.rows, 0, n}, data.data());
    times[k] = part.attribute_double("time");
    writer.write({k, 1, 0, channels, slab_.row0, slab_.rows, 0, n}, data.data());
  }
  writer.set_attribute("time", times);
  annotate(writer);
  writer.close();
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  MPI_Barrier(comm_);
  if (rank == 0) std::filesystem::remove_all(config_.parts_dir());
}

}  // namespace flex::dns
