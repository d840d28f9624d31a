// The `flex validate` deck and report: check selection, the parity fixture
// found without validate.fixtures, and a JSON report that tools can parse.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flex/config.hpp"
#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/model/checkpoint_info.hpp"
#include "flex/validate/config.hpp"
#include "flex/validate/report.hpp"
#include "test_deck.hpp"

namespace flex::validate {
namespace {

Deck deck_with(const std::vector<std::string>& overrides) {
  return testing::test_deck(declare_keys, {"run.output_dir=/tmp/flex-validate-config"}, overrides);
}

TEST(ValidateConfig, SelectsChecksByNameOrPrefix) {
  const auto all = read_config(deck_with({}));
  EXPECT_TRUE(all.everything());
  EXPECT_TRUE(all.selects("sr.skill"));
  EXPECT_EQ(all.report, "/tmp/flex-validate-config/validation_report");
  EXPECT_EQ(all.infer.output, "/tmp/flex-validate-config/prediction.h5");  // beside the report, not over it

  const auto some = read_config(deck_with({"validate.checks=dns, model.parity"}));
  EXPECT_FALSE(some.everything());
  EXPECT_TRUE(some.selects("dns.kraichnan"));
  EXPECT_TRUE(some.selects("model.parity"));
  EXPECT_FALSE(some.selects("model.parameter_count"));
  EXPECT_FALSE(some.selects("dnsx.other"));
}

TEST(ValidateConfig, UnknownChecksNameTheKey) {
  try {
    read_config(deck_with({"validate.checks=dns,dns.nope"}));
    FAIL() << "an unknown check was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("command line: key 'validate.checks' names unknown check 'dns.nope'"),
              std::string::npos)
        << e.what();
  }
}

TEST(ValidateConfig, FixturesDefaultToTheShippedOnes) {
  EXPECT_EQ(read_config(deck_with({"validate.fixtures=/my/fixtures"})).fixtures, "/my/fixtures");
#ifdef FLEX_SOURCE_FIXTURE_DIR
  // The test executable is not installed: the source tree's copy is found.
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::path(read_config(deck_with({})).fixtures), fs::path(FLEX_SOURCE_FIXTURE_DIR).lexically_normal());
#endif
}

// sr.skill samples with infer::read_config: a trained checkpoint's settings
// reach it as they reach `flex infer`.
TEST(ValidateConfig, InferKeysInheritTheCheckpointsSettings) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("flex-validate-sidecar-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto pt = (dir / "ckpt.pt").string();
  std::ofstream(pt) << "not read";
  model::CheckpointInfo info;
  info.model_keys = {{"model.size", "tiny"}};
  info.norm_std = {17.5519};
  info.sr_factor = 4;
  model::write_checkpoint_info(pt, info);
  const auto c = read_config(deck_with({"infer.checkpoint=" + pt}));
  EXPECT_EQ(c.infer.factor, 4);
  EXPECT_EQ(c.infer.norm_std, std::vector<double>{17.5519});
  EXPECT_EQ(c.infer.model.flex.img, 32);  // model.size = tiny from the sidecar
  std::string why;
  try {
    read_config(deck_with({"infer.checkpoint=" + pt, "infer.factor=8"}));
  } catch (const InputError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("key 'infer.factor' = 8 contradicts " + model::checkpoint_info_path(pt)), std::string::npos)
      << why;
  fs::remove_all(dir);
}

TEST(ValidateReport, JsonParsesWithTheDocumentedKeys) {
  const ReportHeader header{"1.2.3", "openblas", "cpu", "suite \"ci\".ini", 2};
  std::vector<Result> results = {
      {"dns.poisson_inverse", "max |r|", 1e-14, "<= 1e-10", true, "", 0.5, false},
      {"sr.skill_vs_bicubic", "ratio", std::numeric_limits<double>::quiet_NaN(), "<= 1", false, "line\nbreak", 2.0,
       false},
      {"model.parity", "parity", 0.0, "needs validate.fixtures", false, "not configured", 0.0, true}};
  const auto j = nlohmann::ordered_json::parse(json_report(header, results));
  EXPECT_EQ(j.begin().key(), "flex_version");
  EXPECT_EQ(j["flex_version"], "1.2.3");
  EXPECT_EQ(j["ranks"], 2);
  EXPECT_EQ(j["deck"], "suite \"ci\".ini");
  EXPECT_EQ(j["passed"], false);
  ASSERT_EQ(j["checks"].size(), 3u);
  const auto& first = j["checks"][0];
  for (const char* key : {"check", "quantity", "measured", "criterion", "passed", "skipped", "seconds", "note"})
    EXPECT_TRUE(first.contains(key)) << key;
  EXPECT_DOUBLE_EQ(first["measured"].get<double>(), 1e-14);
  EXPECT_TRUE(j["checks"][1]["measured"].is_null());  // NaN: JSON has none
  EXPECT_EQ(j["checks"][1]["note"], "line\nbreak");
  EXPECT_EQ(j["checks"][2]["skipped"], true);
}

// A suite's report: criteria lines read pass/FAIL from the results, the
// stages table lists every stage with its wall time (reused ones included),
// and the JSON names the analyses the figures are drawn from.
TEST(ValidateReport, SuiteStagesAndCriteriaLines) {
  ReportHeader header{"1.2.3", "openblas", "cpu", "quick.ini", 1};
  header.stages = {{{"dns", "dns", "/q/dns.ini", {}}, true, 1.5}, {{"train", "train", "/q/train.ini", {}}, false, 40.0}};
  header.analyses = {{"sr", {"analysis/sr_metrics.json"}}, {"fc", {}}};
  header.commit = "0123456789ab-dirty";
  const std::vector<Result> results = {
      below("suite.sr_vs_bicubic", "RFNE ratio", 1.01, 1.0), at_least("suite.fc_vs_persistence", "leads", 2.0, 2.0),
      within("suite.ensemble_calibration", "pull std", 1.6, 0.7, 1.5)};
  EXPECT_FALSE(results[0].passed);
  EXPECT_TRUE(results[1].passed);
  EXPECT_FALSE(results[2].passed);
  const auto md = markdown_report(header, results);
  EXPECT_NE(md.find("- flex 1.2.3 (commit 0123456789ab-dirty), 1 MPI rank(s)"), std::string::npos) << md;
  EXPECT_NE(md.find("result: **FAIL** (1 of 3 checks passed, 0 skipped)"), std::string::npos) << md;
  EXPECT_NE(md.find("| suite.sr_vs_bicubic | RFNE ratio | 1.01 | <= 1 | **FAIL** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| suite.fc_vs_persistence | leads | 2 | >= 2 | pass |"), std::string::npos) << md;
  EXPECT_NE(md.find("2 stage(s), 41.5 s of wall time, 1.5 s of it by an earlier run"), std::string::npos) << md;
  EXPECT_NE(md.find("| dns | dns | /q/dns.ini | reused | 1.5 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| train | train | /q/train.ini | ran | 40 |"), std::string::npos) << md;
  const auto j = nlohmann::ordered_json::parse(json_report(header, results));
  ASSERT_EQ(j["stages"].size(), 2u);
  EXPECT_EQ(j["stages"][0]["reused"], true);
  EXPECT_DOUBLE_EQ(j["stages"][1]["seconds"].get<double>(), 40.0);
  EXPECT_EQ(j["analyses"]["sr"][0], "analysis/sr_metrics.json");
  EXPECT_EQ(j["flex_commit"], "0123456789ab-dirty");
  EXPECT_TRUE(j["analyses"]["fc"].empty());
}

}  // namespace
}  // namespace flex::validate
