// The validation report: a Markdown table for people and JSON for tools.
#pragma once

#include <string>
#include <vector>

#include "flex/validate/check.hpp"

namespace flex::validate {

struct ReportHeader {
  std::string version, blas, device, deck_source;
  int ranks = 1;
};

std::string markdown_report(const ReportHeader& header, const std::vector<Result>& results);
std::string json_report(const ReportHeader& header, const std::vector<Result>& results);

}  // namespace flex::validate
