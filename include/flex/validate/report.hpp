// The validation report: a Markdown table for people and JSON for tools.
#pragma once

#include <string>
#include <vector>

#include "flex/validate/check.hpp"
#include "flex/validate/stages.hpp"

namespace flex::validate {

struct ReportHeader {
  std::string version, blas, device, deck_source;
  int ranks = 1;
  std::vector<StageRecord> stages = {};  // a suite's stages, in order, with their wall times
  // The analysis summaries the claims judged ("sr", "fc", "ensemble": paths
  // relative to the report's folder), from which validation/plot_results.py draws the figures.
  std::vector<std::pair<std::string, std::vector<std::string>>> analyses = {};
  std::string commit = "";  // the git commit of the build (sysinfo::build_commit)
};

std::string markdown_report(const ReportHeader& header, const std::vector<Result>& results);
std::string json_report(const ReportHeader& header, const std::vector<Result>& results);

}  // namespace flex::validate
