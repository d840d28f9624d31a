#include "flex/validate/config.hpp"

#include <filesystem>
#include <system_error>

#include "flex/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/validate/check.hpp"

namespace flex::validate {

namespace fs = std::filesystem;

void declare_keys(DeckSchema& s) {
  std::string names;
  for (const auto& c : checks()) names += std::string(names.empty() ? "" : ", ") + c.name;
  s.add_string("validate.checks", "all", "checks to run: all, or a comma list of names or prefixes (" + names + ")");
  s.add_int("validate.grid", 64, "grid of the DNS convergence checks (the coarse grid is half of it)").range(16, 4096);
  s.add_path("validate.fixtures", "",
             "folder with the reference parity fixture (parity_tiny.pt, parity_tiny.h5); empty: the installed "
             "share/flex/fixtures, else the source tree's tests/fixtures");
  s.add_string("validate.report", "validation_report", "report stem under run.output_dir: <stem>.md and <stem>.json");
  s.add_string("validate.stages", "",
               "a suite's stages, run in order in run.output_dir before the checks: job:deck items (job dns, train, "
               "infer or analyze; decks relative to this deck's folder, their paths relative to run.output_dir)");
  s.add_string("validate.stage_overrides", "",
               "key=value items for every stage whose job reads the key (e.g. train.batch=2 at 2 ranks)");
  s.add_string("validate.sr_metrics", "",
               "SR analysis summaries (<prefix>_metrics.json under run.output_dir) for suite.sr_vs_bicubic and "
               "suite.sr_spectrum");
  s.add_real("validate.sr_ratio", 1.0, "suite.sr_vs_bicubic: RFNE(FLEX) / RFNE(aligned bicubic) at most this")
      .range(0, {});
  s.add_string("validate.zero_shot_metrics", "",
               "zero-shot SR summaries (another channel, infer.norm_std overridden): suite.sr_vs_bicubic at ratio 1");
  s.add_string("validate.sr_reference", "",
               "FLEX-SR analysis summaries that suite.sr_vs_competitors compares (empty: validate.sr_metrics)");
  s.add_string("validate.sr_competitors", "",
               "same-budget networks for suite.sr_vs_competitors: label:summary+summary+... items (the same fields "
               "as validate.sr_reference)");
  s.add_string("validate.fc_metrics", "",
               "forecast analysis summaries (with analyze.metrics skill) for suite.fc_vs_persistence");
  s.add_real("validate.fc_horizon_ratio", 2.0,
             "suite.fc_vs_persistence: leads with PCC above the threshold, FLEX's at least this times persistence's")
      .range(0, {});
  s.add_string("validate.ensemble_metrics", "",
               "analysis summaries with ensemble statistics (K >= 8 members) for suite.ensemble_calibration");
  // The SR skill check samples like `flex infer`: its infer.* and model.* keys.
  infer::declare_keys(s);
}

namespace {

bool matches(const std::string& name, const std::string& wanted) {
  return wanted == "all" || name == wanted || name.rfind(wanted + ".", 0) == 0;
}

bool holds_fixture(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "parity_tiny.pt", ec) && fs::is_regular_file(dir / "parity_tiny.h5", ec);
}

// The fixture shipped with flex: beside the installed executable first (the
// tree a site runs), then the source tree this build came from.
std::string default_fixtures() {
  std::vector<fs::path> candidates;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "flex" / "fixtures");
#ifdef FLEX_SOURCE_FIXTURE_DIR
  candidates.emplace_back(FLEX_SOURCE_FIXTURE_DIR);
#endif
  for (const auto& dir : candidates)
    if (holds_fixture(dir)) return dir.lexically_normal().string();
  return "";
}

}  // namespace

bool ValidateConfig::everything() const { return checks.size() == 1 && checks[0] == "all"; }

bool ValidateConfig::selects(const std::string& check) const {
  for (const auto& w : checks)
    if (matches(check, w)) return true;
  return false;
}

ValidateConfig read_config(const Deck& deck) {
  ValidateConfig c;
  c.run = read_run_settings(deck);
  c.checks = deck.get_strings("validate.checks");
  FLEX_REQUIRE(!c.checks.empty(), deck.where("validate.checks") << ": key 'validate.checks' is empty (all, or names)");
  for (const auto& w : c.checks) {
    bool known = false;
    for (const auto& check : checks()) known = known || matches(check.name, w);
    FLEX_REQUIRE(known, deck.where("validate.checks") << ": key 'validate.checks' names unknown check '" << w << "'");
  }
  c.grid = deck.get_int("validate.grid");
  c.fixtures = deck.get_string("validate.fixtures");
  if (c.fixtures.empty()) c.fixtures = default_fixtures();
  const auto stem = deck.get_string("validate.report");
  FLEX_REQUIRE(!stem.empty(), deck.where("validate.report") << ": key 'validate.report' is empty (a file stem)");
  c.report = (fs::path(c.run.output_dir) / stem).string();
  c.infer = infer::read_config(deck);
  const auto base = deck.source() == "<defaults>" ? fs::current_path() : fs::absolute(deck.source()).parent_path();
  c.stages = parse_stages(deck.get_strings("validate.stages"), base.string(), deck.where("validate.stages"),
                          deck.get_strings("validate.stage_overrides"));
  check_stage_decks(c.stages);
  c.sr_metrics = deck.get_strings("validate.sr_metrics");
  c.zero_shot_metrics = deck.get_strings("validate.zero_shot_metrics");
  c.sr_reference = deck.get_strings("validate.sr_reference");
  if (c.sr_reference.empty()) c.sr_reference = c.sr_metrics;
  for (const auto& item : deck.get_strings("validate.sr_competitors")) {
    const auto colon = item.find(':');
    FLEX_REQUIRE(colon != std::string::npos && colon > 0 && colon + 1 < item.size(),
                 deck.where("validate.sr_competitors") << ": '" << item << "' is not label:summary+summary+...");
    std::vector<std::string> files;
    for (size_t at = colon + 1; at <= item.size();) {
      const auto plus = std::min(item.find('+', at), item.size());
      if (plus > at) files.push_back(item.substr(at, plus - at));
      at = plus + 1;
    }
    c.sr_competitors.push_back({item.substr(0, colon), files});
  }
  c.fc_metrics = deck.get_strings("validate.fc_metrics");
  c.ensemble_metrics = deck.get_strings("validate.ensemble_metrics");
  c.sr_ratio = deck.get_real("validate.sr_ratio");
  c.fc_horizon_ratio = deck.get_real("validate.fc_horizon_ratio");
  // The resolved deck beside the report shows the checkpoint's settings too.
  c.run.deck_text = c.infer.run.deck_text;
  return c;
}

}  // namespace flex::validate
