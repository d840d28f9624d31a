// `flex analyze` end to end through the command line: files written by the
// test, the command run on every rank, the written tables checked on rank 0.
#include <map>

#include "cli_support.hpp"

namespace flex::analysis {
namespace {

using namespace cli_test;

TEST(AnalysisCli, PredictionAndEnsembleFilesGiveTheKnownMetrics) {
  const std::string in = fixture_dir(), out = in + "/run-files";
  std::string members;
  for (long m = 0; m < testing::kFixtureMembers; ++m) members += (m ? "," : "") + in + "/member" + std::to_string(m) + ".h5";
  ASSERT_EQ(run_flex({"analyze.truth=" + in + "/truth.h5", "analyze.prediction=" + in + "/prediction.h5",
                      "analyze.ensemble=" + members, "analyze.normalise=none", "run.output_dir=" + out,
                      "run.profile=false"}),
            0);
  if (!is_root()) return;
  // Prediction = 2 x truth: RFNE 1 and PCC 1 in every sample and channel.
  const auto metrics = read_csv(out + "/analysis_metrics.csv");
  ASSERT_EQ(metrics.size(), 1u + testing::kFixtureSnapshots * 3);
  EXPECT_EQ(metrics[0][4], "rfne");
  EXPECT_EQ(metrics[0][5], "pcc");
  for (size_t i = 1; i < metrics.size(); ++i) {
    EXPECT_NEAR(std::stod(metrics[i][4]), 1.0, 1e-6) << "row " << i;
    EXPECT_NEAR(std::stod(metrics[i][5]), 1.0, 1e-9) << "row " << i;
  }
  // Spectra: 4 samples x ((truth, prediction) x (vorticity, velocity) + the members' vorticity) x 16 shells.
  EXPECT_EQ(read_csv(out + "/analysis_spectra.csv").size(), 1u + 4 * (2 * 2 + 1) * 16);
  EXPECT_EQ(read_csv(out + "/analysis_ensemble.csv").size(), 1u + 4 * 3);
  EXPECT_EQ(read_csv(out + "/analysis_skill.csv").size(), 1u + 4 * 3);
  const std::string json = slurp(out + "/analysis_metrics.json");
  EXPECT_NE(json.find("\"skill_horizon\": 4"), std::string::npos) << json;
  EXPECT_NE(json.find("\"ens_crps\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"continuity_error\""), std::string::npos) << json;
  EXPECT_NE(slurp(out + "/analysis.deck.ini").find("analyze.normalise = none"), std::string::npos);
}

TEST(AnalysisCli, PackedMembersMatchOneFilePerMember) {
  const std::string in = fixture_dir();
  std::string members;
  for (long m = 0; m < testing::kFixtureMembers; ++m) members += (m ? "," : "") + in + "/member" + std::to_string(m) + ".h5";
  ASSERT_EQ(run_flex({"analyze.truth=" + in + "/truth.h5", "analyze.ensemble=" + members,
                      "analyze.metrics=ensemble,rfne", "run.output_dir=" + in + "/run-a", "run.profile=false"}),
            0);
  ASSERT_EQ(run_flex({"analyze.truth=" + in + "/truth.h5", "analyze.ensemble=" + in + "/members_packed.h5",
                      "analyze.ensemble_members=4", "analyze.metrics=ensemble,rfne", "run.output_dir=" + in + "/run-b",
                      "run.profile=false"}),
            0);
  if (!is_root()) return;
  const std::string a = slurp(in + "/run-a/analysis_ensemble.csv");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, slurp(in + "/run-b/analysis_ensemble.csv"));
  // Without a prediction file the ensemble mean is the prediction: RFNE present, small.
  const auto metrics = read_csv(in + "/run-a/analysis_metrics.csv");
  ASSERT_EQ(metrics.size(), 1u + 4 * 3);
  for (size_t i = 1; i < metrics.size(); ++i) EXPECT_LT(std::stod(metrics[i][4]), 0.5);
}

// Per mode, the members' mean power is at least the power of their mean
// (Jensen: |mean x|^2 <= mean |x|^2), so the members' averaged spectrum lies
// on or above the ensemble mean's at every shell, and above it where they differ.
TEST(AnalysisCli, MemberSpectraHoldAtLeastTheEnsembleMeansEnergy) {
  const std::string in = fixture_dir();
  std::string members;
  for (long m = 0; m < testing::kFixtureMembers; ++m) members += (m ? "," : "") + in + "/member" + std::to_string(m) + ".h5";
  ASSERT_EQ(run_flex({"analyze.truth=" + in + "/truth.h5", "analyze.ensemble=" + members, "analyze.metrics=spectrum",
                      "run.output_dir=" + in + "/run-members", "run.profile=false"}),
            0);
  if (!is_root()) return;
  std::map<std::pair<std::string, std::string>, double> energy;  // (sample k, field) -> E
  for (const auto& row : read_csv(in + "/run-members/analysis_spectra.csv"))
    if (row.size() == 6 && row[2] == "vorticity") energy[{row[0] + " " + row[3], row[1]}] = std::stod(row[5]);
  long shells = 0, above = 0;
  for (const auto& [key, e] : energy) {
    if (key.second != "members") continue;
    const double mean = energy.at({key.first, "prediction"});
    EXPECT_GE(e, mean * (1 - 1e-9)) << "sample/shell " << key.first;
    ++shells;
    above += e > mean * (1 + 1e-6);
  }
  EXPECT_EQ(shells, 4 * 16);
  EXPECT_GT(above, shells / 2);  // the members differ (their seeds), so the mean loses energy
}

TEST(AnalysisCli, ExistingOutputsAreKeptWithoutOverwrite) {
  if (world_size() > 1) GTEST_SKIP() << "a failing command ends every rank (MPI_Abort); covered by the bad-input test";
  const std::string in = fixture_dir(), out = in + "/run-keep";
  const std::vector<std::string> args = {"analyze.truth=" + in + "/truth.h5", "analyze.metrics=spectrum",
                                         "run.output_dir=" + out, "run.profile=false"};
  ASSERT_EQ(run_flex(args), 0);
  const std::string before = slurp(out + "/analysis_spectra.csv");
  EXPECT_EQ(run_flex(args), 2);
  EXPECT_EQ(slurp(out + "/analysis_spectra.csv"), before);
}

}  // namespace
}  // namespace flex::analysis
