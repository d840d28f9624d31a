// `flex analyze` with baselines and the tiles protocol, through the command
// line: each baseline's rows must be what an analysis of that baseline alone
// gives, and the tiled RFNE must take the values the fixture makes known.
#include <algorithm>

#include "cli_support.hpp"

namespace flex::analysis {
namespace {

using namespace cli_test;
using Table = std::vector<std::vector<std::string>>;

// The one-channel set against its truth, tiles of 16² (4 per field) in batches of 3.
std::vector<std::string> vorticity_args(const std::string& prediction, const std::string& out) {
  const std::string in = fixture_dir();
  return {"analyze.truth=" + in + "/w_truth.h5", "analyze.prediction=" + in + "/" + prediction,
          "analyze.metrics=rfne,pcc,mse,psnr,ssim,linf,skill", "analyze.protocol=tiles", "analyze.tile=16",
          "analyze.tile_batch=3", "run.output_dir=" + in + "/" + out, "run.profile=false"};
}

size_t column(const Table& t, const std::string& name) {
  const auto& h = t.at(0);
  return static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
}

// The rows whose `source` cell is `source`, without that cell.
Table rows_of(const Table& t, const std::string& source) {
  const size_t at = column(t, "source");
  Table out;
  for (size_t i = 1; i < t.size(); ++i) {
    if (t[i].at(at) != source) continue;
    auto row = t[i];
    row.erase(row.begin() + static_cast<long>(at));
    out.push_back(row);
  }
  return out;
}

TEST(AnalysisCliProtocols, BaselineRowsAreTheBaselineAnalysedAlone) {
  const std::string in = fixture_dir();
  ASSERT_EQ(run_flex(vorticity_args("w_prediction.h5", "run-baselines")), 0);  // the sidecar, found by name
  for (const char* name : testing::kFixtureBaselines) {
    auto args = vorticity_args(std::string("w_") + name + ".h5", std::string("run-alone-") + name);
    args.push_back("analyze.baselines=none");
    ASSERT_EQ(run_flex(args), 0);
  }
  if (!is_root()) return;
  const std::string out = in + "/run-baselines/analysis";
  const Table metrics = read_csv(out + "_metrics.csv"), tiles = read_csv(out + "_tiles.csv");
  const Table skill = read_csv(out + "_skill.csv");
  EXPECT_EQ(metrics.at(0).back(), "source");
  EXPECT_EQ(metrics.size(), 1u + 3 * testing::kFixtureSnapshots);
  EXPECT_EQ(rows_of(metrics, "prediction").size(), static_cast<size_t>(testing::kFixtureSnapshots));
  EXPECT_EQ(tiles.size(), 1u + 3 * 4 * testing::kFixtureSnapshots);
  for (const char* name : testing::kFixtureBaselines) {
    const std::string alone = in + "/run-alone-" + name + "/analysis";
    const Table direct = read_csv(alone + "_metrics.csv");
    ASSERT_EQ(rows_of(metrics, name).size(), static_cast<size_t>(testing::kFixtureSnapshots)) << name;
    EXPECT_EQ(rows_of(metrics, name), rows_of(direct, "prediction")) << name;
    EXPECT_EQ(rows_of(tiles, name), rows_of(read_csv(alone + "_tiles.csv"), "prediction")) << name;
    // The skill table: the baseline's columns beside the prediction's, equal to its own analysis.
    const Table own = read_csv(alone + "_skill.csv");
    ASSERT_EQ(own.size(), skill.size());
    for (const std::string m : {"pcc", "rfne", "rfne_tiles"}) {
      const size_t beside = column(skill, m + "_" + name), mine = column(own, m);
      ASSERT_LT(beside, skill[0].size()) << m << "_" << name;
      for (size_t k = 1; k < skill.size(); ++k) EXPECT_EQ(skill[k].at(beside), own[k].at(mine)) << m << " step " << k;
    }
  }
  // Persistence repeats snapshot 0: exact at the first lead, worse later.
  const size_t p = column(skill, "rfne_persistence");
  EXPECT_EQ(std::stod(skill.at(1).at(p)), 0.0);
  EXPECT_GT(std::stod(skill.at(2).at(p)), 0.01);
  const std::string json = slurp(out + "_metrics.json");
  EXPECT_NE(json.find("\"baselines\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"persistence\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"protocol\": \"tiles\""), std::string::npos) << json;
}

TEST(AnalysisCliProtocols, BaselinesNoneLeavesTheSidecarAlone) {
  auto args = vorticity_args("w_prediction.h5", "run-none");
  args.push_back("analyze.baselines=none");
  ASSERT_EQ(run_flex(args), 0);
  if (!is_root()) return;
  const std::string out = fixture_dir() + "/run-none/analysis";
  const Table metrics = read_csv(out + "_metrics.csv");
  EXPECT_EQ(rows_of(metrics, "prediction").size(), metrics.size() - 1);
  EXPECT_EQ(read_csv(out + "_skill.csv").at(0), (std::vector<std::string>{"step", "channel", "pcc", "rfne", "rfne_tiles"}));
  EXPECT_EQ(slurp(out + "_metrics.json").find("\"baselines\""), std::string::npos);
}

TEST(AnalysisCliProtocols, TilesOfTwiceTheTruthHaveRfneOne) {
  const std::string in = fixture_dir(), out = in + "/run-tiles";
  // 32² fields, 8² tiles: 16 per field, in batches of 5, 5, 5 and 1.
  ASSERT_EQ(run_flex({"analyze.truth=" + in + "/truth.h5", "analyze.prediction=" + in + "/prediction.h5",
                      "analyze.normalise=none", "analyze.metrics=rfne,pcc", "analyze.protocol=tiles",
                      "analyze.tile=8", "analyze.tile_batch=5", "run.output_dir=" + out, "run.profile=false"}),
            0);
  if (!is_root()) return;
  const Table metrics = read_csv(out + "/analysis_metrics.csv"), tiles = read_csv(out + "/analysis_tiles.csv");
  const size_t at = column(metrics, "rfne_tiles");
  ASSERT_LT(at, metrics[0].size());
  ASSERT_EQ(metrics.size(), 1u + testing::kFixtureSnapshots * 3);
  for (size_t i = 1; i < metrics.size(); ++i) EXPECT_NEAR(std::stod(metrics[i].at(at)), 1.0, 1e-6) << "row " << i;
  ASSERT_EQ(tiles.size(), 1u + testing::kFixtureSnapshots * 3 * 16);
  EXPECT_EQ(tiles[16].at(column(tiles, "batch")), "3") << "the 16th tile of a field opens its 4th batch";
  EXPECT_NE(slurp(out + "/analysis_metrics.json").find("\"rfne_tiles\""), std::string::npos);
}

TEST(AnalysisCliProtocols, BadTileOrBaselinesAreInputErrors) {
  if (world_size() > 1) GTEST_SKIP() << "a failing command ends every rank (MPI_Abort); covered by the bad-input tests";
  const std::string in = fixture_dir();
  const std::vector<std::string> base = {"analyze.truth=" + in + "/truth.h5",
                                         "analyze.prediction=" + in + "/prediction.h5", "run.profile=false"};
  auto args = base;
  args.insert(args.end(), {"analyze.protocol=tiles", "analyze.tile=12", "run.output_dir=" + in + "/bad-tile"});
  EXPECT_EQ(run_flex(args), 2) << "12 does not divide 32";
  args = base;
  args.insert(args.end(), {"analyze.baselines=" + in + "/w_prediction.baselines.h5",
                           "run.output_dir=" + in + "/bad-baselines"});
  EXPECT_EQ(run_flex(args), 2) << "baselines of one channel against a three-channel truth";
}

}  // namespace
}  // namespace flex::analysis
