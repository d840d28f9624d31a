#include "fixture_files.hpp"

#include <cmath>
#include <filesystem>
#include <iterator>
#include <vector>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"

namespace flex::analysis::testing {

namespace {

// Snapshot n of a divergence-free flow: psi = sum of three modes drifting in
// phase; u = psi_y, v = -psi_x, w = -lap psi (exact derivatives).
float value(long n, long c, long r, long col, double noise_seed) {
  const double h = 2 * M_PI / kFixtureSize, x = r * h, y = col * h;
  const int kx[3] = {1, 3, 2}, ky[3] = {2, 1, 4};
  double out = 0;
  for (int m = 0; m < 3; ++m) {
    const double k2 = kx[m] * kx[m] + ky[m] * ky[m], a = 1.0 / k2, ph = 0.3 * n * (m + 1);
    const double arg = kx[m] * x + ky[m] * y + ph;
    if (c == 0) out += -a * ky[m] * std::sin(arg);   // u = d psi / dy, psi = a cos(arg)
    if (c == 1) out += a * kx[m] * std::sin(arg);    // v = -d psi / dx
    if (c == 2) out += a * k2 * std::cos(arg);       // w = -lap psi
  }
  if (noise_seed > 0) out += 0.2 * std::sin(noise_seed * (1.7 * r + 2.3 * col + 0.9 * c + 1.3 * n));
  return static_cast<float>(out);
}

void write(const std::string& path, MPI_Comm comm, long snapshots, double scale,
           const std::vector<double>& member_seeds) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const io::FieldShape shape{snapshots, 3, kFixtureSize, kFixtureSize};
  io::WriterOptions options;
  options.channel_names = {"u", "v", "w"};
  options.overwrite = true;
  options.dx = options.dy = 2 * M_PI / kFixtureSize;
  io::FieldWriter writer(path, comm, shape, options);
  const auto rows = mpi::share(shape.h, rank, size);
  std::vector<float> data;
  const long k = static_cast<long>(member_seeds.size());
  for (long n = 0; n < snapshots; ++n)
    for (long c = 0; c < 3; ++c)
      for (long r = rows.begin; r < rows.end; ++r)
        for (long col = 0; col < shape.w; ++col)
          data.push_back(static_cast<float>(scale * value(k > 0 ? n / k : n, c, r, col,
                                                          k > 0 ? member_seeds[n % k] : 0.0)));
  writer.write(io::Hyperslab{0, snapshots, 0, 3, rows.begin, rows.size(), 0, shape.w}, data.data());
  writer.close();
}

// One vorticity plane per (snapshot, channel): value(snapshot_of(n, c), 2, ...)
// with noise seed noise_of(c), under the given channel names.
template <class Snapshot, class Noise>
void write_vorticity(const std::string& path, MPI_Comm comm, const std::vector<std::string>& names,
                     const std::string& task, Snapshot snapshot_of, Noise noise_of) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const long channels = static_cast<long>(names.size());
  const io::FieldShape shape{kFixtureSnapshots, channels, kFixtureSize, kFixtureSize};
  io::WriterOptions options;
  options.channel_names = names;
  options.overwrite = true;
  io::FieldWriter writer(path, comm, shape, options);
  const auto rows = mpi::share(shape.h, rank, size);
  std::vector<float> data;
  for (long n = 0; n < shape.n; ++n)
    for (long c = 0; c < channels; ++c)
      for (long r = rows.begin; r < rows.end; ++r)
        for (long col = 0; col < shape.w; ++col) data.push_back(value(snapshot_of(n, c), 2, r, col, noise_of(c)));
  writer.write(io::Hyperslab{0, shape.n, 0, channels, rows.begin, rows.size(), 0, shape.w}, data.data());
  if (!task.empty()) writer.set_attribute("task", task);
  writer.close();
}

// The one-channel set: baseline b is channel b of the sidecar and alone in w_<name>.h5.
void write_vorticity_set(const std::string& dir, MPI_Comm comm) {
  const auto same = [](long n, long) { return n; };
  const auto persistence = [](long n, long c) { return c == 1 ? 0 : n; };
  const auto noise = [](long c) { return c == 0 ? 0.81 : 0.0; };  // bicubic_aligned: noisy; persistence: exact
  const std::vector<std::string> names(std::begin(kFixtureBaselines), std::end(kFixtureBaselines));
  write_vorticity(dir + "/w_truth.h5", comm, {"w"}, "", same, [](long) { return 0.0; });
  write_vorticity(dir + "/w_prediction.h5", comm, {"w"}, "", same, [](long) { return 0.37; });
  write_vorticity(dir + "/w_prediction.baselines.h5", comm, names, "fc", persistence, noise);
  for (long b = 0; b < 2; ++b)
    write_vorticity(dir + "/w_" + names[b] + ".h5", comm, {"w"}, "",
                    [&](long n, long) { return persistence(n, b); }, [&](long) { return noise(b); });
}

}  // namespace

void write_fixture(const std::string& dir, MPI_Comm comm) {
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) std::filesystem::create_directories(dir);
  FLEX_CHECK_MPI(MPI_Barrier(comm));
  const std::vector<double> seeds = {0.37, 0.81, 1.19, 1.53};
  write(dir + "/truth.h5", comm, kFixtureSnapshots, 1.0, {});
  write(dir + "/prediction.h5", comm, kFixtureSnapshots, 2.0, {});
  for (long m = 0; m < kFixtureMembers; ++m)
    write(dir + "/member" + std::to_string(m) + ".h5", comm, kFixtureSnapshots, 1.0, {seeds[m]});
  write(dir + "/members_packed.h5", comm, kFixtureSnapshots * kFixtureMembers, 1.0, seeds);
  write_vorticity_set(dir, comm);
}

}  // namespace flex::analysis::testing
