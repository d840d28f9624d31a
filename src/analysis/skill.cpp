#include "flex/analysis/skill.hpp"

#include <algorithm>

namespace flex::analysis {

long skill_horizon(const std::vector<double>& pcc, double threshold) {
  const auto first_bad = std::find_if(pcc.begin(), pcc.end(), [&](double p) { return !(p > threshold); });
  return static_cast<long>(first_bad - pcc.begin());
}

}  // namespace flex::analysis
