// bench_dns [n ...] [--repeats r] [--measure]: for each grid size n (default 256 512 1024
// 2048), the time of one Shu–Osher RK3 step of the DNS next to the time of
// the six FFTs that step needs (three r2c + three c2r of the same FFTW-MPI
// plans, executed bare), measured in the same run:
//  - ratio step / FFT (target <= 2.0),
//  - memory of the solver per grid point (its fields and FFT buffer), and the
//    process's peak RSS per point,
//  - under mpiexec -n P: the same step on rank 0 alone (MPI_COMM_SELF) and on
//    all P ranks, and the speedup (target >= 1.6 at 1024² and above, P = 2).
#include <fftw3-mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "flex/core/error.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/system_info.hpp"
#include "flex/dns/initial.hpp"
#include "flex/dns/solver.hpp"

using namespace flex;
using namespace flex::dns;

namespace {

// Best of `repeats` wall times (max over the ranks of comm) of f().
double best_seconds(int repeats, MPI_Comm comm, const std::function<void()>& f) {
  f();  // warm-up: first touch, caches
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    FLEX_CHECK_MPI(MPI_Barrier(comm));
    const double t0 = MPI_Wtime();
    f();
    best = std::min(best, mpi::max(MPI_Wtime() - t0, comm));
  }
  return best;
}

struct Timing {
  double step = 0, fft = 0, bytes_per_point = 0;
};

// Same transforms as dns::Spectral (in-place, transposed, same planner), executed bare.
double six_ffts_seconds(long n, MPI_Comm comm, int repeats, Planner planner) {
  const unsigned flags = planner == Planner::Measure ? FFTW_MEASURE : FFTW_ESTIMATE;
  ptrdiff_t ln0, l0s, ln1, l1s;
  const ptrdiff_t alloc = fftw_mpi_local_size_2d_transposed(n, n / 2 + 1, comm, &ln0, &l0s, &ln1, &l1s);
  fftw_complex* data = fftw_alloc_complex(std::max<ptrdiff_t>(alloc, 1));
  auto* real = reinterpret_cast<double*>(data);
  fftw_plan r2c = fftw_mpi_plan_dft_r2c_2d(n, n, real, data, comm, flags | FFTW_MPI_TRANSPOSED_OUT);
  fftw_plan c2r = fftw_mpi_plan_dft_c2r_2d(n, n, data, real, comm, flags | FFTW_MPI_TRANSPOSED_IN);
  for (ptrdiff_t i = 0; i < 2 * alloc; ++i) real[i] = 1e-3 * static_cast<double>(i % 977);
  const double t = best_seconds(repeats, comm, [&] {
    for (int k = 0; k < 3; ++k) {
      fftw_execute(r2c);
      fftw_execute(c2r);
    }
  });
  fftw_destroy_plan(r2c);
  fftw_destroy_plan(c2r);
  fftw_free(data);
  return t;
}

Timing measure(long n, MPI_Comm comm, int repeats, Planner planner) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const Slab slab = Slab::of_rank(n, rank, size);
  Timing t;
  {
    Solver solver(slab, comm, Physics{1.0 / 8000.0, 0.0, {}}, planner);
    kraichnan(solver.spectral(), 10.0, 1, solver.mutable_vorticity());
    const double dt = 0.2 * slab.h() / solver.diagnostics().max_speed;
    t.step = best_seconds(repeats, comm, [&] { solver.step(dt); });
    // Four slab fields with halos + the FFTW buffer (about one padded real field).
    ptrdiff_t a, b, c, d;
    const double fft_bytes = 16.0 * fftw_mpi_local_size_2d_transposed(n, n / 2 + 1, comm, &a, &b, &c, &d);
    const double field_bytes = 4.0 * 8.0 * (slab.rows + 2) * (n + 2);
    t.bytes_per_point = mpi::sum(fft_bytes + field_bytes, comm) / (static_cast<double>(n) * n);
  }
  t.fft = six_ffts_seconds(n, comm, repeats, planner);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  std::vector<long> sizes;
  int repeats = 3;
  Planner planner = Planner::Estimate;  // dns.fft_planner
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--measure") == 0) {
      planner = Planner::Measure;
    } else {
      sizes.push_back(std::atol(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {256, 512, 1024, 2048};
  const int ranks = env.size();
  if (env.is_root()) {
    std::printf("bench_dns: RK3 step vs its 6 FFTs (FFTW-MPI, FFTW_%s), best of %d; host %s, %d rank(s)\n",
                planner == Planner::Measure ? "MEASURE" : "ESTIMATE", repeats, sysinfo::hostname().c_str(), ranks);
    std::printf("%6s %5s %11s %11s %9s %9s %12s %8s\n", "n", "ranks", "step_ms", "ffts_ms", "step/fft", "B/point",
                "peakRSS B/pt", "speedup");
  }
  for (long n : sizes) {
    if (n % ranks != 0) {
      if (env.is_root()) std::printf("%6ld: skipped, not divisible by %d ranks\n", n, ranks);
      continue;
    }
    // One rank alone (the others wait), then every rank.
    Timing single;
    if (env.is_root()) single = measure(n, MPI_COMM_SELF, repeats, planner);
    mpi::idle_barrier(env.comm());  // rank 0 ran alone: keep the cores free for it
    const double rss_single = static_cast<double>(sysinfo::peak_rss_bytes()) / (static_cast<double>(n) * n);
    if (env.is_root())
      std::printf("%6ld %5d %11.3f %11.3f %9.2f %9.1f %12.1f %8s\n", n, 1, 1e3 * single.step, 1e3 * single.fft,
                  single.step / single.fft, single.bytes_per_point, rss_single, "-");
    if (ranks == 1) continue;
    const Timing all = measure(n, env.comm(), repeats, planner);
    const double rss = mpi::sum(static_cast<double>(sysinfo::peak_rss_bytes()), env.comm()) /
                       (static_cast<double>(n) * n);
    if (env.is_root())
      std::printf("%6ld %5d %11.3f %11.3f %9.2f %9.1f %12.1f %8.2f\n", n, ranks, 1e3 * all.step, 1e3 * all.fft,
                  all.step / all.fft, all.bytes_per_point, rss, single.step / all.step);
  }
  return 0;
}
