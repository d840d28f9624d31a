// The spectrum claim of a suite (issue 16): FLEX's vorticity spectrum within a
// factor 2 of the truth's up to half the high-res Nyquist, where the aligned
// bicubic falls below; judged shell by shell, reported per octave band.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace flex::validate {

// E[k], k = 1 ... Nyquist, of each field of a `flex analyze` spectra CSV
// (sample,field,kind,k,modes,energy), averaged over the samples; vorticity
// rows only. `file` names the source in errors.
std::map<std::string, std::vector<double>> mean_vorticity_spectra(std::istream& csv, const std::string& file);

struct SpectrumBand {
  long k_lo = 0, k_hi = 0;  // shells k_lo ... k_hi
  double flex = 0;          // band energy over the truth's
  double bicubic = 0;
};

struct SpectrumComparison {
  long shells_judged = 0;       // 1 ... half the Nyquist
  double worst_factor = 0;      // max over the judged shells of max(E / E_truth, E_truth / E), FLEX
  long worst_shell = 0;
  double bicubic_worst_factor = 0;
  long bicubic_below_from = 0;  // first judged shell where the bicubic holds under half the truth's energy; 0: none
  std::vector<SpectrumBand> bands;  // octaves [1, 2), [2, 4), ... up to shells_judged
};

// Spectra as E[k] for k = 1 ... Nyquist (index k - 1), one length; shells
// where the truth holds no energy are not judged.
SpectrumComparison compare_spectra(const std::vector<double>& truth, const std::vector<double>& flex,
                                   const std::vector<double>& bicubic);

}  // namespace flex::validate
