// Radially averaged energy spectra of a periodic field on [0, 2pi)^2 split by
// row slabs; the FFT runs distributed (FFTW-MPI), the shell binning is a
// Kokkos kernel, the shells are summed over ranks.
//
// San & Pawar convention (returns the initial Kraichnan E(k) exactly):
//   vorticity: es = pi |w_hat / (H W)|^2 / |k| per mode, E[k] = mean of es
//              over the modes of shell k;
//   velocity:  E[k] = sum over shell k of 1/2 (|u_hat|^2 + |v_hat|^2) / (H W)^2;
// shell k holds the modes with k - 0.5 < |k| < k + 0.5, k = 1 ... min(H, W)/2.
// Like the San & Pawar code, the modes on the kx = 0 and ky = 0 axes are left
// out of the shells unless include_axes is set. The shell rule is the DNS's
// (dns::ShellRule), so this vorticity spectrum is dns::vorticity_spectrum's.
#pragma once

#include <memory>
#include <vector>

#include "flex/analysis/view.hpp"

namespace flex::analysis {

struct SpectrumOptions {
  bool include_axes = false;
};

struct Spectrum {
  std::vector<double> k;       // shell wavenumbers 1 ... kmax
  std::vector<double> modes;   // modes in each shell
  std::vector<double> energy;  // E[k] as in the convention above
  std::vector<double> power;   // sum over the shell of |f_hat|^2 / (H W)^2 (both fields for velocity)
  // Sum of |f_hat|^2 / (H W)^2 over every mode, binned or not: by Parseval,
  // mean(f^2) (velocity: mean(u^2 + v^2) / 2).
  double total_power = 0;
};

class SlabFft;

// Holds the FFT plan for one field shape: reuse it across snapshots.
class SpectrumEngine {
 public:
  SpectrumEngine(long rows, long cols, MPI_Comm comm, const SpectrumOptions& options = {});
  ~SpectrumEngine();
  SpectrumEngine(const SpectrumEngine&) = delete;
  SpectrumEngine& operator=(const SpectrumEngine&) = delete;

  Spectrum vorticity(const SlabView& w);
  Spectrum velocity(const SlabView& u, const SlabView& v);

 private:
  std::unique_ptr<SlabFft> fft_;
  SpectrumOptions options_;
  MPI_Comm comm_;
};

// One-off spectra (a plan made and dropped per call).
Spectrum vorticity_spectrum(const SlabView& w, const SpectrumOptions& options = {});
Spectrum velocity_spectrum(const SlabView& u, const SlabView& v, const SpectrumOptions& options = {});

}  // namespace flex::analysis
