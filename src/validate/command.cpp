#include "flex/validate/command.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "flex/app/command.hpp"
#include "flex/app/runtime.hpp"
#include "flex/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/system_info.hpp"
#include "flex/infer/command.hpp"
#include "flex/validate/check.hpp"
#include "flex/validate/report.hpp"

namespace flex {

void declare_validate_keys(DeckSchema& s) {
  std::string names;
  for (const auto& c : validate::checks()) names += std::string(names.empty() ? "" : ", ") + c.name;
  s.add_string("validate.checks", "all", "checks to run: all, or a comma list of names or prefixes (" + names + ")");
  s.add_int("validate.grid", 64, "grid of the DNS convergence checks (the coarse grid is half of it)").range(16, 4096);
  s.add_path("validate.fixtures", "", "folder with the reference parity fixture (parity_tiny.pt, parity_tiny.h5)");
  s.add_string("validate.report", "validation_report", "report stem under run.output_dir: <stem>.md and <stem>.json");
  // The SR skill check samples like `flex infer`: its infer.* and model.* keys.
  declare_infer_keys(s);
}

namespace {

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::string item;
  for (char c : list + ",") {
    if (c == ',' || c == ' ') {
      if (!item.empty()) out.push_back(item), item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

bool selected(const std::string& name, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted)
    if (w == "all" || name == w || name.rfind(w + ".", 0) == 0) return true;
  return false;
}

}  // namespace

int run_validate(const RunContext& ctx) {
  FLEX_PROFILE("validate");
  const auto& deck = ctx.deck;
  const auto device = configure_runtime(ctx);
  const auto wanted = split(deck.get_string("validate.checks"));
  for (const auto& w : wanted) {
    bool known = w == "all";
    for (const auto& c : validate::checks()) known = known || selected(c.name, {w});
    FLEX_REQUIRE(known, deck.source() << ": key 'validate.checks' names unknown check '" << w << "'");
  }
  const bool everything = wanted.size() == 1 && wanted[0] == "all";
  validate::Context context{ctx.env.comm(), deck, device};
  std::vector<validate::Result> results;
  for (const auto& check : validate::checks()) {
    if (!selected(check.name, wanted)) continue;
    std::string missing;
    for (const char* key : check.needs)
      if (deck.get_string(key).empty()) missing += std::string(missing.empty() ? "" : ", ") + key;
    if (!missing.empty()) {
      // Asked for by name: a configuration error; under `all`: reported as skipped.
      FLEX_REQUIRE(everything, deck.source() << ": check '" << check.name << "' needs " << missing);
      validate::Result r{check.name, check.what, 0.0, "needs " + missing, false, "not configured", 0.0, true};
      results.push_back(r);
      continue;
    }
    log::info("validate: ", check.name, ": ", check.what);
    const auto t0 = std::chrono::steady_clock::now();
    auto rs = check.run(context);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& r : rs) {
      r.seconds = seconds / static_cast<double>(rs.size());
      log::info("validate:   ", r.passed ? "pass" : "FAIL", "  ", r.quantity, " = ", r.measured, " (", r.criterion,
                ")");
      results.push_back(r);
    }
  }
  validate::ReportHeader header{FLEX_VERSION_STRING, sysinfo::active_blas(), device.str(), deck.source(),
                                ctx.env.size()};
  const auto stem = (std::filesystem::path(deck.get_string("run.output_dir")) / deck.get_string("validate.report")).string();
  int failed = 0;
  for (const auto& r : results) failed += (r.passed || r.skipped) ? 0 : 1;
  if (ctx.env.is_root()) {
    output::ensure_writable(stem + ".md", deck.get_bool("run.overwrite"));
    output::write_text_atomic(stem + ".md", validate::markdown_report(header, results));
    output::write_text_atomic(stem + ".json", validate::json_report(header, results));
    output::write_text_atomic(stem + ".deck.ini", deck.resolved_text());
  }
  log::info("validate: ", results.size(), " results, ", failed, " failed; report ", stem, ".md");
  return failed == 0 ? 0 : 4;  // 4: the suite ran and something failed (doc/validate.md)
}

}  // namespace flex
