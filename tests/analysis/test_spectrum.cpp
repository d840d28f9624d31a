// Energy spectra: a single Fourier mode lands in its shell with its energy,
// Parseval holds, the Kraichnan initial spectrum (SPEC §2) comes back, a split
// field gives the whole-field spectrum, and the DNS's spectrum is this one.
#include <gtest/gtest.h>

#include <fftw3.h>

#include <cmath>
#include <complex>

#include "flex/analysis/spectrum.hpp"
#include "flex/core/error.hpp"
#include "flex/dns/spectrum.hpp"
#include "slabs.hpp"

namespace flex::analysis {
namespace {

using testing::Field;

Field single_mode(long n, int kx, int ky, double amplitude, double phase) {
  Field f = testing::make_field(n, n);
  const double h = 2 * M_PI / n;
  for (long r = 0; r < n; ++r)
    for (long c = 0; c < n; ++c) f(r, c) = static_cast<float>(amplitude * std::cos(kx * r * h + ky * c * h + phase));
  return f;
}

double mean_square(const Field& f) {
  double s = 0;
  for (float x : f.data) s += double(x) * x;
  return s / f.data.size();
}

TEST(AnalysisSpectrum, SingleModeLandsInItsShell) {
  const long n = 64;
  const double a = 2.0;
  const Field w = single_mode(n, 3, 4, a, 0.3);  // |k| = 5
  for (bool skewed : {false, true}) {
    auto s = testing::distribute(w, MPI_COMM_WORLD, skewed);
    const Spectrum e = vorticity_spectrum(s.slab);
    ASSERT_EQ(e.k.size(), static_cast<size_t>(n / 2));
    // Two modes (+-k) of |w_hat / N^2| = a / 2 each: power a^2 / 2, es = pi (a/2)^2 / 5.
    for (size_t i = 0; i < e.k.size(); ++i) {
      if (e.k[i] == 5) {
        EXPECT_NEAR(e.power[i], a * a / 2, 1e-6);
        EXPECT_NEAR(e.energy[i] * e.modes[i], 2 * M_PI * (a * a / 4) / 5, 1e-6);
      } else {
        EXPECT_NEAR(e.power[i], 0.0, 1e-10) << "shell " << e.k[i];
      }
    }
    EXPECT_NEAR(e.total_power, mean_square(w), 1e-6);  // Parseval
  }
}

TEST(AnalysisSpectrum, ShellsCountTheModesOffTheAxes) {
  const long n = 32;
  auto s = testing::distribute(single_mode(n, 1, 1, 1, 0), MPI_COMM_WORLD);
  const Spectrum e = vorticity_spectrum(s.slab);
  const Spectrum with_axes = vorticity_spectrum(s.slab, SpectrumOptions{true});
  for (size_t i = 0; i < e.k.size(); ++i) {
    long off = 0, all = 0;
    for (long kx = -n / 2 + 1; kx <= n / 2; ++kx)
      for (long ky = -n / 2 + 1; ky <= n / 2; ++ky) {
        const double kk = std::hypot(double(kx), double(ky));
        if (kk > e.k[i] - 0.5 && kk < e.k[i] + 0.5) {
          ++all;
          if (kx != 0 && ky != 0) ++off;
        }
      }
    EXPECT_EQ(e.modes[i], off) << "shell " << e.k[i];
    EXPECT_EQ(with_axes.modes[i], all) << "shell " << e.k[i];
  }
}

TEST(AnalysisSpectrum, ParsevalOnARandomField) {
  const Field w = testing::random_field(40, 36, 21, 0.5, 2.0);
  auto s = testing::distribute(w, MPI_COMM_WORLD, true);
  EXPECT_NEAR(vorticity_spectrum(s.slab).total_power / mean_square(w), 1.0, 1e-10);
}

TEST(AnalysisSpectrum, VelocitySpectrumSumsHalfTheSquaredAmplitudes) {
  const long n = 48;
  const Field u = single_mode(n, 2, 5, 1.5, 0.1), v = single_mode(n, 2, 5, -0.5, 0.1);
  auto su = testing::distribute(u, MPI_COMM_WORLD, true), sv = testing::distribute(v, MPI_COMM_WORLD, true);
  const Spectrum e = velocity_spectrum(su.slab, sv.slab);
  const long shell = std::lround(std::hypot(2.0, 5.0));
  double total = 0;
  for (size_t i = 0; i < e.k.size(); ++i) {
    total += e.energy[i];
    if (e.k[i] != shell) EXPECT_NEAR(e.energy[i], 0.0, 1e-10);
  }
  const double expected = 0.5 * (mean_square(u) + mean_square(v));
  EXPECT_NEAR(e.energy[shell - 1], expected, 1e-6);
  EXPECT_NEAR(total, expected, 1e-6);
  EXPECT_NEAR(e.total_power, expected, 1e-6);
}

// SPEC §2: E(k) = A k^4 exp(-(k/k0)^2), A = 4 / (3 sqrt(pi) k0^5), k0 = 10.
double kraichnan(double k) {
  const double k0 = 10, A = 4.0 / (3.0 * std::sqrt(M_PI) * std::pow(k0, 5));
  return A * std::pow(k, 4) * std::exp(-(k / k0) * (k / k0));
}

// w_hat(k) = sqrt(k E(k) / pi) e^{i zeta} N^2, real field, axes and |kx|, |ky| = N/2 zero.
Field kraichnan_vorticity(long n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> zeta(0, 2 * M_PI);
  const long half = n / 2 + 1;
  std::vector<std::complex<double>> hat(n * half, 0.0);
  for (long ix = 0; ix < n; ++ix)
    for (long ky = 1; ky < n / 2; ++ky) {
      const long kx = ix <= n / 2 ? ix : ix - n;
      if (kx == 0 || std::abs(kx) == n / 2) continue;
      const double k = std::hypot(double(kx), double(ky));
      hat[ix * half + ky] = std::polar(std::sqrt(k * kraichnan(k) / M_PI) * n * n, zeta(gen));
    }
  std::vector<double> out(n * n);
  fftw_plan p = fftw_plan_dft_c2r_2d(n, n, reinterpret_cast<fftw_complex*>(hat.data()), out.data(), FFTW_ESTIMATE);
  fftw_execute(p);
  fftw_destroy_plan(p);
  Field w = testing::make_field(n, n);
  for (long i = 0; i < n * n; ++i) w.data[i] = static_cast<float>(out[i] / (double(n) * n));  // FFTW is unnormalised
  return w;
}

TEST(AnalysisSpectrum, KraichnanInitialSpectrumIsRecovered) {
  const long n = 128;
  const Field w = kraichnan_vorticity(n, 22);
  // Initial enstrophy 1/2 <w^2> = sum over modes of 1/2 |w_hat / N^2|^2 = sum k E(k) / (2 pi);
  // the continuous value is 125, less what the dropped axis modes carry.
  double enstrophy = 0;
  for (long kx = -n / 2 + 1; kx < n / 2; ++kx)
    for (long ky = -n / 2 + 1; ky < n / 2; ++ky)
      if (kx != 0 && ky != 0) {
        const double k = std::hypot(double(kx), double(ky));
        enstrophy += k * kraichnan(k) / (2 * M_PI);
      }
  EXPECT_NEAR(0.5 * mean_square(w) / enstrophy, 1.0, 1e-6);
  EXPECT_NEAR(enstrophy, 125.0, 0.05 * 125);
  auto s = testing::distribute(w, MPI_COMM_WORLD, true);
  const Spectrum e = vorticity_spectrum(s.slab);
  const double peak = kraichnan(std::sqrt(2.0) * 10);  // d/dk (k^4 e^{-k^2/k0^2}) = 0 at k = sqrt(2) k0
  for (size_t i = 0; i < e.k.size(); ++i) {
    // Every mode carries es = E(|k|): the shell mean of E over its modes, exactly (float storage aside).
    double expected = 0;
    long count = 0;
    for (long kx = -n / 2 + 1; kx < n / 2; ++kx)
      for (long ky = -n / 2 + 1; ky < n / 2; ++ky) {
        const double kk = std::hypot(double(kx), double(ky));
        if (kx != 0 && ky != 0 && kk > e.k[i] - 0.5 && kk < e.k[i] + 0.5) expected += kraichnan(kk), ++count;
      }
    if (count == 0) continue;
    expected /= count;
    // Beyond k ~ 50, E < 1e-9 max E: below what float32 storage of w resolves.
    if (expected > 1e-9 * peak)
      EXPECT_NEAR(e.energy[i] / expected, 1.0, 1e-5) << "k = " << e.k[i];
    // The shell mean differs from E at the shell centre by the curvature of E across the shell.
    if (e.k[i] >= 8 && e.k[i] <= 40) EXPECT_NEAR(e.energy[i] / kraichnan(e.k[i]), 1.0, 0.03) << "k = " << e.k[i];
  }
}

TEST(AnalysisSpectrum, SplitFieldGivesTheWholeFieldSpectrum) {
  const Field u = testing::random_field(30, 26, 23), v = testing::random_field(30, 26, 24);
  auto uw = testing::distribute(u, MPI_COMM_SELF), vw = testing::distribute(v, MPI_COMM_SELF);
  for (bool skewed : {false, true}) {
    auto us = testing::distribute(u, MPI_COMM_WORLD, skewed), vs = testing::distribute(v, MPI_COMM_WORLD, skewed);
    const Spectrum a = vorticity_spectrum(uw.slab), b = vorticity_spectrum(us.slab);
    const Spectrum c = velocity_spectrum(uw.slab, vw.slab), d = velocity_spectrum(us.slab, vs.slab);
    ASSERT_EQ(a.k.size(), b.k.size());
    for (size_t i = 0; i < a.k.size(); ++i) {
      EXPECT_EQ(a.modes[i], b.modes[i]);
      EXPECT_LT(testing::rel_diff(a.energy[i], b.energy[i]), 1e-12);
      EXPECT_LT(testing::rel_diff(c.energy[i], d.energy[i]), 1e-12);
    }
    EXPECT_LT(testing::rel_diff(a.total_power, b.total_power), 1e-12);
  }
}

// One spectrum in the code base: the solver's diagnostic (dns::vorticity_spectrum,
// its own FFT and layout) and the analysis engine bin by the same rule.
TEST(AnalysisSpectrum, VorticitySpectrumIsTheDnsSpectrum) {
  const long n = 64;  // divisible by 1, 2 and 4 ranks, as the DNS slab needs
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size));
  const Field w = testing::random_field(n, n, 26);
  const dns::Slab slab = dns::Slab::of_rank(n, rank, size);
  dns::Field omega(slab);
  for (long i = 0; i < slab.rows; ++i)
    for (long j = 0; j < n; ++j) omega(i, j) = w(slab.row0 + i, j);
  dns::Spectral fft(slab, MPI_COMM_WORLD);
  const std::vector<double> reference = dns::vorticity_spectrum(fft, omega);

  auto s = testing::distribute(w, MPI_COMM_WORLD, true);
  const Spectrum e = vorticity_spectrum(s.slab);
  ASSERT_EQ(e.k.size() + 1, reference.size());
  for (size_t i = 0; i < e.k.size(); ++i) {
    ASSERT_GT(reference[i + 1], 0.0) << "shell " << e.k[i];
    EXPECT_LT(testing::rel_diff(e.energy[i], reference[i + 1]), 1e-12) << "shell " << e.k[i];
  }
}

}  // namespace
}  // namespace flex::analysis
