#include "flex/validate/run.hpp"

#include <chrono>

#include "flex/comm/runtime.hpp"
#include "flex/config.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/system_info.hpp"
#include "flex/validate/check.hpp"
#include "flex/validate/report.hpp"

namespace flex::validate {

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// A check whose inputs are missing: asked for by name, a configuration
// error; under `all`, reported as skipped.
Result skipped(const ValidateConfig& c, const Check& check, const std::string& missing) {
  FLEX_REQUIRE(c.everything(), c.run.deck_source << ": check '" << check.name << "' needs " << missing);
  return Result{check.name, check.what, 0.0, "needs " + missing, false, "not configured", 0.0, true};
}

std::vector<Result> run_check(const Check& check, const Context& context) {
  log::info("validate: ", check.name, ": ", check.what);
  const auto t0 = std::chrono::steady_clock::now();
  auto results = check.run(context);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& r : results) {
    r.seconds = seconds / static_cast<double>(results.size());
    log::info("validate:   ", r.passed ? "pass" : "FAIL", "  ", r.quantity, " = ", r.measured, " (", r.criterion, ")");
  }
  return results;
}

}  // namespace

int run(const ValidateConfig& c, MPI_Comm comm) {
  FLEX_PROFILE("validate");
  const auto device = comm::configure_runtime(c.run, comm);
  const auto markdown = c.report + ".md", json = c.report + ".json";
  // Before the suite runs, not after minutes of it.
  mpi::on_root(comm, [&] { output::ensure_writable(markdown, c.run.overwrite); });
  // A suite's stages first: the checks judge what they wrote.
  int stage_rc = 0;
  const auto stages = run_stages(c.stages, c.run.output_dir, comm, stage_rc);
  if (stage_rc != 0) return stage_rc;
  const Context context{comm, c, device};
  std::vector<Result> results;
  for (const auto& check : checks()) {
    if (!c.selects(check.name)) continue;
    const auto missing = check.missing ? joined(check.missing(c)) : std::string();
    if (!missing.empty()) {
      results.push_back(skipped(c, check, missing));
      continue;
    }
    for (auto& r : run_check(check, context)) results.push_back(std::move(r));
  }
  int ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  // The summaries each claim judged; "reference" and "competitor:<label>" lay out the Table 1 comparison.
  std::vector<std::pair<std::string, std::vector<std::string>>> analyses = {
      {"sr", c.sr_metrics}, {"zero_shot", c.zero_shot_metrics}, {"fc", c.fc_metrics},
      {"ensemble", c.ensemble_metrics}};
  if (!c.sr_competitors.empty()) analyses.emplace_back("reference", c.sr_reference);
  for (const auto& [label, files] : c.sr_competitors) analyses.emplace_back("competitor:" + label, files);
  const ReportHeader header{FLEX_VERSION_STRING, sysinfo::active_blas(), device.str(), c.run.deck_source,
                            ranks,               stages,                analyses,     sysinfo::build_commit()};
  int failed = 0;
  for (const auto& r : results) failed += (r.passed || r.skipped) ? 0 : 1;
  mpi::on_root(comm, [&] {
    output::StagedFiles files;  // the report, its JSON and its deck together or not at all
    files.add(markdown, markdown_report(header, results));
    files.add(json, json_report(header, results));
    files.add(output::resolved_deck_path(markdown), c.run.deck_text);
    files.commit();
  });
  log::info("validate: ", results.size(), " results, ", failed, " failed; report ", markdown);
  return failed == 0 ? 0 : 4;  // 4: the suite ran and something failed (doc/validate.md)
}

}  // namespace flex::validate
