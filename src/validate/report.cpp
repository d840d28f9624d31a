#include "flex/validate/report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace flex::validate {

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

std::string number(double x) {
  if (!std::isfinite(x)) return "null";  // JSON has no NaN or infinity
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

std::string markdown_report(const ReportHeader& h, const std::vector<Result>& results) {
  int failed = 0, skipped = 0;
  for (const auto& r : results) failed += (r.passed || r.skipped) ? 0 : 1, skipped += r.skipped ? 1 : 0;
  std::ostringstream out;
  out << "# flex validation report\n\n"
      << "- flex " << h.version << ", " << h.ranks << " MPI rank(s), device " << h.device << "\n"
      << "- BLAS: " << h.blas << "\n- deck: " << h.deck_source << "\n"
      << "- result: **" << (failed == 0 ? "PASS" : "FAIL") << "** (" << results.size() - failed - skipped << " of "
      << results.size() - skipped << " checks passed, " << skipped << " skipped)\n\n"
      << "| check | quantity | measured | criterion | result | seconds | note |\n"
      << "|---|---|---|---|---|---|---|\n";
  for (const auto& r : results)
    out << "| " << r.check << " | " << r.quantity << " | " << number(r.measured) << " | " << r.criterion << " | "
        << (r.skipped ? "skipped" : r.passed ? "pass" : "**FAIL**") << " | " << number(r.seconds) << " | " << r.note << " |\n";
  return out.str();
}

std::string json_report(const ReportHeader& h, const std::vector<Result>& results) {
  bool all = true;
  for (const auto& r : results) all = all && (r.passed || r.skipped);
  std::ostringstream out;
  out << "{\n  \"flex_version\": " << json_string(h.version) << ",\n  \"ranks\": " << h.ranks
      << ",\n  \"device\": " << json_string(h.device) << ",\n  \"blas\": " << json_string(h.blas)
      << ",\n  \"deck\": " << json_string(h.deck_source) << ",\n  \"passed\": " << (all ? "true" : "false")
      << ",\n  \"checks\": [\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    out << "    {\"check\": " << json_string(r.check) << ", \"quantity\": " << json_string(r.quantity)
        << ", \"measured\": " << number(r.measured) << ", \"criterion\": " << json_string(r.criterion)
        << ", \"passed\": " << (r.passed ? "true" : "false") << ", \"skipped\": " << (r.skipped ? "true" : "false")
        << ", \"seconds\": " << number(r.seconds)
        << ", \"note\": " << json_string(r.note) << "}" << (i + 1 < results.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
  return out.str();
}

}  // namespace flex::validate
