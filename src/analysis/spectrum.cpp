// Shell binning of FFT power, San & Pawar convention (see spectrum.hpp), by the
// DNS's rule (dns::ShellRule): one spectrum formula for the solver and the analysis.
#include "flex/analysis/spectrum.hpp"

#include <Kokkos_ScatterView.hpp>

#include <algorithm>
#include <cmath>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/dns/spectrum.hpp"
#include "slab_fft.hpp"
#include "policy.hpp"

namespace flex::analysis {

namespace {

constexpr int kCount = 0, kPower = 1, kEs = 2;

// Adds every mode of `f` to its shell (dns::ShellRule, the DNS's own binning):
// count (if count_modes), power = factor |f|^2 / (H W)^2 and es = pi power / |k|.
// Returns the power summed over all modes (Parseval).
double bin_shells(const HalfSpectrum& f, double factor, bool count_modes, long rows, long cols, bool include_axes,
                  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> shells) {
  const auto fa = f.data;
  const bool transposed = f.transposed;
  const long outer = static_cast<long>(fa.extent(0)), inner = static_cast<long>(fa.extent(1));
  const long ky0 = f.ky0;
  const dns::ShellRule rule{static_cast<long>(shells.extent(0)) - 1, include_axes};
  const double norm = factor / (double(rows) * double(cols) * double(rows) * double(cols));
  const double counted = count_modes ? 1.0 : 0.0;
  Kokkos::Experimental::ScatterView<double**, Kokkos::LayoutRight, ExecSpace> scatter(shells);
  double total = 0;
  Kokkos::parallel_reduce(
      "analysis::spectrum_shells", over_plane(outer, inner),
      KOKKOS_LAMBDA(const long o, const long n, double& acc) {
        const long ix = transposed ? n : o, ky = ky0 + (transposed ? o : n);
        const long kx = ix <= rows / 2 ? ix : ix - rows;
        const double weight = dns::ShellRule::weight(ky, cols);
        const double p = weight * norm * (fa(o, n, 0) * fa(o, n, 0) + fa(o, n, 1) * fa(o, n, 1));
        acc += p;
        const double kk = Kokkos::Experimental::sqrt(double(kx * kx + ky * ky));
        const long shell = rule.shell(kx, ky, kk);
        if (shell == 0) return;
        auto s = scatter.access();
        s(shell, kCount) += counted * weight;
        s(shell, kPower) += p;
        s(shell, kEs) += dns::ShellRule::vorticity_energy(p, kk);
      },
      total);
  Kokkos::Experimental::contribute(shells, scatter);
  return total;
}

Spectrum finish(Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> shells, double total, bool mean_es,
                MPI_Comm comm) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), shells);
  const long kmax = static_cast<long>(host.extent(0)) - 1;
  FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, host.data(), static_cast<int>(host.size()), MPI_DOUBLE, MPI_SUM, comm));
  Spectrum s;
  s.total_power = mpi::sum(total, comm);
  for (long k = 1; k <= kmax; ++k) {
    const double count = host(k, kCount);
    s.k.push_back(static_cast<double>(k));
    s.modes.push_back(count);
    s.power.push_back(host(k, kPower));
    s.energy.push_back(mean_es ? (count > 0 ? host(k, kEs) / count : 0.0) : host(k, kPower));
  }
  return s;
}

Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> new_shells(long rows, long cols) {
  return Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>("analysis::spectrum_shells",
                                                               static_cast<size_t>(std::min(rows, cols) / 2 + 1), 3);
}

void check_field(const SlabView& f, const SlabFft& fft, const char* what) {
  FLEX_CHECK(f.global_rows == fft.rows() && f.cols() == fft.cols(),
             what << " field " << f.global_rows << "x" << f.cols() << " does not match the spectrum plan "
                  << fft.rows() << "x" << fft.cols());
}

}  // namespace

SpectrumEngine::SpectrumEngine(long rows, long cols, MPI_Comm comm, const SpectrumOptions& options)
    : fft_(std::make_unique<SlabFft>(rows, cols, comm)), options_(options), comm_(comm) {}

SpectrumEngine::~SpectrumEngine() = default;

Spectrum SpectrumEngine::vorticity(const SlabView& w) {
  check_field(w, *fft_, "vorticity");
  fft_->load(w);
  const HalfSpectrum hw = fft_->execute();
  auto shells = new_shells(fft_->rows(), fft_->cols());
  const double total = bin_shells(hw, 1.0, true, fft_->rows(), fft_->cols(), options_.include_axes, shells);
  return finish(shells, total, true, comm_);
}

Spectrum SpectrumEngine::velocity(const SlabView& u, const SlabView& v) {
  check_field(u, *fft_, "u");
  check_field(v, *fft_, "v");
  // 1/2 (|u_hat|^2 + |v_hat|^2) is additive over the two fields: bin each in turn.
  auto shells = new_shells(fft_->rows(), fft_->cols());
  fft_->load(u);
  double total = bin_shells(fft_->execute(), 0.5, true, fft_->rows(), fft_->cols(), options_.include_axes, shells);
  fft_->load(v);
  total += bin_shells(fft_->execute(), 0.5, false, fft_->rows(), fft_->cols(), options_.include_axes, shells);
  return finish(shells, total, false, comm_);
}

Spectrum vorticity_spectrum(const SlabView& w, const SpectrumOptions& options) {
  SpectrumEngine engine(w.global_rows, w.cols(), w.comm, options);
  return engine.vorticity(w);
}

Spectrum velocity_spectrum(const SlabView& u, const SlabView& v, const SpectrumOptions& options) {
  SpectrumEngine engine(u.global_rows, u.cols(), u.comm, options);
  return engine.velocity(u, v);
}

}  // namespace flex::analysis
