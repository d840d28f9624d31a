// suite.sr_spectrum's numerics: the spectra CSV averaged over samples, and
// the shell-by-shell factor against the truth with its octave bands.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/validate/spectra.hpp"

namespace flex::validate {
namespace {

TEST(ValidateSpectra, AveragesEachFieldOverSamplesAndKeepsVorticityRows) {
  std::istringstream csv(
      "sample,field,kind,k,modes,energy\n"
      "0,truth,vorticity,1,4,1.0\n0,truth,vorticity,2,8,4.0\n"
      "1,truth,vorticity,1,4,3.0\n1,truth,vorticity,2,8,8.0\n"
      "0,prediction,vorticity,1,4,2.0\n0,prediction,vorticity,2,8,2.0\n"
      "0,truth,velocity,1,4,99.0\n");
  const auto s = mean_vorticity_spectra(csv, "x_spectra.csv");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.at("truth"), (std::vector<double>{2.0, 6.0}));
  EXPECT_EQ(s.at("prediction"), (std::vector<double>{2.0, 2.0}));
}

TEST(ValidateSpectra, RefusesAFileThatIsNotASpectraCsv) {
  std::istringstream metrics("sample,field,rfne\n0,prediction,0.5\n");
  EXPECT_THROW(mean_vorticity_spectra(metrics, "x.csv"), InputError);
  std::istringstream short_row("sample,field,kind,k,modes,energy\n0,truth,vorticity,1\n");
  EXPECT_THROW(mean_vorticity_spectra(short_row, "x.csv"), InputError);
  std::istringstream text("sample,field,kind,k,modes,energy\n0,truth,vorticity,one,4,1.0\n");
  EXPECT_THROW(mean_vorticity_spectra(text, "x.csv"), InputError);
}

TEST(ValidateSpectra, JudgesShellsUpToHalfTheNyquistAndReportsOctaves) {
  // 16 shells (a 32^2 field): shells 1-8 judged, bands 1, 2-3, 4-7, 8.
  std::vector<double> truth(16), flex(16), bicubic(16);
  for (int k = 1; k <= 16; ++k) {
    truth[k - 1] = std::pow(k, -3.0);
    flex[k - 1] = truth[k - 1] * (k == 6 ? 0.4 : 1.25);  // 2.5 below the truth at k = 6
    bicubic[k - 1] = truth[k - 1] * std::pow(0.7, k);    // under half the truth's from k = 2
  }
  flex[11] = 100 * truth[11];  // beyond half the Nyquist: not judged
  const auto c = compare_spectra(truth, flex, bicubic);
  EXPECT_EQ(c.shells_judged, 8);
  EXPECT_NEAR(c.worst_factor, 2.5, 1e-12);
  EXPECT_EQ(c.worst_shell, 6);
  EXPECT_NEAR(c.bicubic_worst_factor, std::pow(0.7, -8), 1e-9);
  EXPECT_EQ(c.bicubic_below_from, 2);
  ASSERT_EQ(c.bands.size(), 4u);
  EXPECT_EQ(c.bands[2].k_lo, 4);
  EXPECT_EQ(c.bands[2].k_hi, 7);
  EXPECT_EQ(c.bands[3].k_lo, 8);
  EXPECT_EQ(c.bands[3].k_hi, 8);
  EXPECT_NEAR(c.bands[0].flex, 1.25, 1e-12);
  EXPECT_NEAR(c.bands[0].bicubic, 0.7, 1e-12);
}

TEST(ValidateSpectra, ANanSpectrumIsTheWorst) {
  std::vector<double> truth(8, 1.0), flex(8, 1.0), bicubic(8, 1.0);
  flex[1] = std::nan("");
  const auto c = compare_spectra(truth, flex, bicubic);
  EXPECT_TRUE(std::isinf(c.worst_factor));
  EXPECT_EQ(c.worst_shell, 2);
  EXPECT_EQ(c.bicubic_below_from, 0);
}

}  // namespace
}  // namespace flex::validate
