#include "flex/validate/report.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace flex::validate {

namespace {

std::string number(double x) {
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
      << "- flex " << h.version << (h.commit.empty() ? "" : " (commit " + h.commit + ")") << ", " << h.ranks << " MPI rank(s), device " << h.device << "\n"
      << "- BLAS: " << h.blas << "\n- deck: " << h.deck_source << "\n"
      << "- result: **" << (failed == 0 ? "PASS" : "FAIL") << "** (" << results.size() - failed - skipped << " of "
      << results.size() - skipped << " checks passed, " << skipped << " skipped)\n\n"
      << "| check | quantity | measured | criterion | result | seconds | note |\n"
      << "|---|---|---|---|---|---|---|\n";
  for (const auto& r : results)
    out << "| " << r.check << " | " << r.quantity << " | " << number(r.measured) << " | " << r.criterion << " | "
        << (r.skipped ? "skipped" : r.passed ? "pass" : "**FAIL**") << " | " << number(r.seconds) << " | " << r.note << " |\n";
  if (!h.stages.empty()) {
    double total = 0, reused = 0;
    for (const auto& s : h.stages) total += s.seconds, reused += s.reused ? s.seconds : 0;
    out << "\n## Stages\n\n" << h.stages.size() << " stage(s), " << number(total) << " s of wall time, "
        << number(reused) << " s of it by an earlier run (reused: finished with the same resolved deck)\n\n"
        << "| stage | job | deck | status | seconds |\n|---|---|---|---|---|\n";
    for (const auto& s : h.stages)
      out << "| " << s.stage.name << " | " << s.stage.job << " | " << s.stage.deck << " | "
          << (s.reused ? "reused" : "ran") << " | " << number(s.seconds) << " |\n";
  }
  return out.str();
}

std::string json_report(const ReportHeader& h, const std::vector<Result>& results) {
  bool all = true;
  for (const auto& r : results) all = all && (r.passed || r.skipped);
  // Ordered: keys in the order of the Markdown table. NaN and infinities
  // are written as null (JSON has neither).
  using Json = nlohmann::ordered_json;
  Json checks = Json::array();
  for (const auto& r : results)
    checks.push_back(Json{{"check", r.check},
                          {"quantity", r.quantity},
                          {"measured", r.measured},
                          {"criterion", r.criterion},
                          {"passed", r.passed},
                          {"skipped", r.skipped},
                          {"seconds", r.seconds},
                          {"note", r.note}});
  Json stages = Json::array();
  for (const auto& s : h.stages)
    stages.push_back(Json{{"stage", s.stage.name},
                          {"job", s.stage.job},
                          {"deck", s.stage.deck},
                          {"reused", s.reused},
                          {"seconds", s.seconds}});
  Json analyses = Json::object();
  for (const auto& [kind, files] : h.analyses) analyses[kind] = files;
  const Json report{{"flex_version", h.version}, {"flex_commit", h.commit}, {"ranks", h.ranks},   {"device", h.device},
                    {"blas", h.blas},           {"deck", h.deck_source}, {"passed", all},
                    {"checks", checks},         {"stages", stages},
                    {"analyses", analyses}};
  // Replace, not throw on, bytes that are not UTF-8 (a path or a note may hold them).
  return report.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace flex::validate
