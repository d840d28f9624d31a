#include "flex/dns/snapshots.hpp"

#include <cstdio>
#include <filesystem>

#include "flex/core/error.hpp"
#include "flex/dns/stencils.hpp"
#include "flex/io/fields.hpp"

namespace flex::dns {

SnapshotStore::SnapshotStore(const RunConfig& config, const Slab& slab, MPI_Comm comm, long next)
    : config_(config), slab_(slab), comm_(comm), first_(next), next_(next) {}

std::string SnapshotStore::segment_path(long first) const {
  char name[32];
  std::snprintf(name, sizeof name, "seg%07ld.h5", first);
  return (std::filesystem::path(config_.parts_dir()) / name).string();
}

void SnapshotStore::add(double t, const Field& omega, const Field& psi) {
  const long n = slab_.n, rows = slab_.rows, plane = rows * n;
  Field u(slab_), v(slab_);
  velocity(psi, u, v);
  const size_t offset = buffer_.size();
  buffer_.resize(offset + snapshot_floats());
  float* out = buffer_.data() + offset;
  for (long c = 0; c < channels(); ++c) {
    const std::string& name = config_.channels[c];
    const Field& f = name == "u" ? u : name == "v" ? v : omega;
    for (long i = 0; i < rows; ++i)
      for (long j = 0; j < n; ++j) out[c * plane + i * n + j] = static_cast<float>(f(i, j));
  }
  times_.push_back(t);
  ++next_;
}

void SnapshotStore::flush() {
  const long count = next_ - first_;
  if (count == 0) return;
  io::WriterOptions options;
  options.overwrite = true;  // a restart rewrites the segment that began at its checkpoint
  options.channel_names = config_.channels;
  options.write_xdmf = false;
  const io::FieldShape shape{count, channels(), slab_.n, slab_.n};
  io::FieldWriter writer(segment_path(first_), comm_, shape, options);
  writer.write({0, count, 0, shape.c, slab_.row0, slab_.rows, 0, slab_.n}, buffer_.data());
  writer.set_attribute("time", times_);
  writer.close();
  first_ = next_;
  buffer_.clear();
  times_.clear();
}

void SnapshotStore::finish(long count, const std::function<void(io::FieldWriter&)>& annotate) {
  FLEX_CHECK(next_ == count, "finishing after " << next_ << " of " << count << " snapshots");
  const long n = slab_.n;
  io::WriterOptions options;
  options.overwrite = config_.run.overwrite;
  options.channel_names = config_.channels;
  options.dx = options.dy = slab_.h();
  io::FieldWriter writer(config_.field_path(), comm_, {count, channels(), n, n}, options);
  if (first_ == 0) {
    // Every snapshot is still in memory: no segments to read back.
    writer.write({0, count, 0, channels(), slab_.row0, slab_.rows, 0, n}, buffer_.data());
    writer.set_attribute("time", times_);
  } else {
    flush();
    std::vector<double> times;
    std::vector<float> one(snapshot_floats());
    for (long k = 0; k < count;) {
      io::FieldReader segment(segment_path(k), comm_);
      const long length = segment.shape().n;
      FLEX_CHECK(length > 0 && k + length <= count && segment.shape().c == channels() && segment.shape().h == n,
                 segment_path(k) << ": segment does not fit the run");
      const auto segment_times = segment.attribute_doubles("time");
      times.insert(times.end(), segment_times.begin(), segment_times.end());
      for (long m = 0; m < length; ++m) {
        segment.read({m, 1, 0, channels(), slab_.row0, slab_.rows, 0, n}, one.data());
        writer.write({k + m, 1, 0, channels(), slab_.row0, slab_.rows, 0, n}, one.data());
      }
      k += length;
    }
    writer.set_attribute("time", times);
  }
  annotate(writer);
  writer.close();
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm_, &rank));
  FLEX_CHECK_MPI(MPI_Barrier(comm_));
  if (rank == 0) std::filesystem::remove_all(config_.parts_dir());
}

}  // namespace flex::dns
