#include "flex/validate/spectra.hpp"

#include <algorithm>
#include <cmath>
#include <istream>
#include <sstream>

#include "flex/core/error.hpp"

namespace flex::validate {

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream s(line);
  for (std::string cell; std::getline(s, cell, ',');) out.push_back(cell);
  return out;
}

double factor(double e, double truth) { return e > truth ? e / truth : truth / e; }

}  // namespace

std::map<std::string, std::vector<double>> mean_vorticity_spectra(std::istream& csv, const std::string& file) {
  std::string line;
  FLEX_REQUIRE(std::getline(csv, line) && line.rfind("sample,field,kind,k,modes,energy", 0) == 0,
               file << ": not a flex analyze spectra CSV (header sample,field,kind,k,modes,energy)");
  struct Sum {
    std::vector<double> energy;
    std::vector<long> count;
  };
  std::map<std::string, Sum> sums;
  long row = 1;
  while (std::getline(csv, line)) {
    ++row;
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    FLEX_REQUIRE(cells.size() == 6, file << ": row " << row << " has " << cells.size() << " columns, not 6");
    if (cells[2] != "vorticity") continue;
    long k = 0;
    double e = 0;
    try {
      k = std::stol(cells[3]);
      e = std::stod(cells[5]);
    } catch (const std::exception&) {
      throw InputError(file + ": row " + std::to_string(row) + ": k or energy is not a number");
    }
    FLEX_REQUIRE(k >= 1, file << ": row " << row << ": shell k = " << k << " (shells start at 1)");
    auto& s = sums[cells[1]];
    if (s.energy.size() < static_cast<size_t>(k)) s.energy.resize(k, 0.0), s.count.resize(k, 0);
    s.energy[k - 1] += e;
    s.count[k - 1] += 1;
  }
  std::map<std::string, std::vector<double>> out;
  for (const auto& [field, s] : sums) {
    auto& mean = out[field];
    for (size_t k = 0; k < s.energy.size(); ++k) mean.push_back(s.count[k] > 0 ? s.energy[k] / s.count[k] : 0.0);
  }
  return out;
}

SpectrumComparison compare_spectra(const std::vector<double>& truth, const std::vector<double>& flex,
                                   const std::vector<double>& bicubic) {
  FLEX_CHECK(flex.size() == truth.size() && bicubic.size() == truth.size(),
             "spectra of " << truth.size() << ", " << flex.size() << " and " << bicubic.size() << " shells");
  SpectrumComparison c;
  c.shells_judged = static_cast<long>(truth.size()) / 2;
  for (long k = 1; k <= c.shells_judged; ++k) {
    const double t = truth[k - 1];
    if (!(t > 0)) continue;
    double f = factor(flex[k - 1], t);
    if (std::isnan(f)) f = INFINITY;  // a NaN spectrum is as far off as can be
    const double b = factor(bicubic[k - 1], t);
    if (f > c.worst_factor) c.worst_factor = f, c.worst_shell = k;
    c.bicubic_worst_factor = std::max(c.bicubic_worst_factor, b);
    if (c.bicubic_below_from == 0 && bicubic[k - 1] < 0.5 * t) c.bicubic_below_from = k;
  }
  for (long lo = 1; lo <= c.shells_judged; lo *= 2) {
    SpectrumBand band{lo, std::min(2 * lo - 1, c.shells_judged)};
    double t = 0, f = 0, b = 0;
    for (long k = band.k_lo; k <= band.k_hi; ++k) t += truth[k - 1], f += flex[k - 1], b += bicubic[k - 1];
    band.flex = t > 0 ? f / t : std::nan("");
    band.bicubic = t > 0 ? b / t : std::nan("");
    c.bands.push_back(band);
  }
  return c;
}

}  // namespace flex::validate
