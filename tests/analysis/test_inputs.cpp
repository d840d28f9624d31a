// The checks open_inputs makes on the files' contents: NaN/Inf in the ranges
// an analysis reads (run.check_finite), and the members per sample of a packed
// ensemble against its `members` attribute. Messages are checked on one rank
// (an error there leaves the files open on the others; the CLI tests cover
// two ranks); what must run runs on every rank count.
#include <cmath>
#include <limits>

#include "cli_support.hpp"
#include "flex/analysis/config.hpp"
#include "flex/core/deck.hpp"
#include "inputs.hpp"
#include "poison.hpp"
#include "test_deck.hpp"

namespace flex::analysis {
namespace {

using namespace cli_test;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The bad files, made once beside the fixture: a truth with a NaN at snapshot
// 1, channel 1 (v), row 5, column 7; the packed members with a `members`
// attribute, clean and with an infinity in sample 1, member 2.
const std::string& bad_files() {
  static const std::string dir = [] {
    const std::string d = fixture_dir();
    if (is_root()) {
      flex::testing::poison_copy(d + "/truth.h5", d + "/truth_nan.h5", {{1, 1, 5, 7, kNaN}});
      flex::testing::poison_copy(d + "/members_packed.h5", d + "/members_k4.h5", {}, {{"members", 4.0}});
      flex::testing::poison_copy(d + "/members_packed.h5", d + "/members_k4_inf.h5",
                                 {{1 * 4 + 2, 2, 20, 3, std::numeric_limits<float>::infinity()}}, {{"members", 4.0}});
    }
    FLEX_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    return d;
  }();
  return dir;
}

AnalyzeConfig config_with(const std::vector<std::string>& overrides) {
  return read_config(flex::testing::test_deck(declare_keys, {"run.profile=false"}, overrides));
}

// open_inputs' InputError, or "".
std::string rejection(const std::vector<std::string>& overrides) {
  const AnalyzeConfig config = config_with(overrides);
  return flex::testing::rejection([&] { open_inputs(config, MPI_COMM_WORLD); });
}

TEST(AnalysisInputs, NaNInTheTruthNamesTheFileAndWhere) {
  if (world_size() > 1) GTEST_SKIP() << "an error leaves the files open on every rank; see analysis_nan_truth.np2";
  const std::string d = bad_files();
  const std::string why = rejection({"analyze.truth=" + d + "/truth_nan.h5", "analyze.prediction=" + d + "/prediction.h5"});
  EXPECT_NE(why.find("truth_nan.h5: dataset 'fields' (analyze.truth) holds 1 NaN or infinite value(s); the first at "
                     "snapshot 1, channel 1, row 5, column 7"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("run.check_finite = false"), std::string::npos) << why;
}

TEST(AnalysisInputs, OnlyTheSnapshotsAndChannelsReadAreScanned) {
  const std::string d = bad_files();
  const std::string truth = "analyze.truth=" + d + "/truth_nan.h5";
  // Samples 0 and 2 (stride 2) skip snapshot 1; channel 0 alone skips v.
  EXPECT_EQ(rejection({truth, "analyze.stride=2"}), "");
  EXPECT_EQ(rejection({truth, "analyze.channels=0", "analyze.metrics=rfne,pcc"}), "");
  EXPECT_EQ(rejection({truth, "run.check_finite=false"}), "");
  // The analysis reads sample 1's member 2 (snapshot 6) unless the stride skips it.
  const std::string members = "analyze.ensemble=" + d + "/members_k4_inf.h5";
  EXPECT_EQ(rejection({"analyze.truth=" + d + "/truth.h5", members, "analyze.stride=2"}), "");
  if (world_size() > 1) return;
  const std::string why = rejection({"analyze.truth=" + d + "/truth.h5", members});
  EXPECT_NE(why.find("members_k4_inf.h5: dataset 'fields' (analyze.ensemble) holds 1 NaN or infinite value(s); the "
                     "first at snapshot 6, channel 2, row 20, column 3"),
            std::string::npos)
      << why;
  EXPECT_NE(rejection({truth, "analyze.channels=1", "analyze.metrics=rfne"}), "");
}

TEST(AnalysisInputs, PackedMembersComeFromTheMembersAttribute) {
  const std::string d = bad_files(), truth = "analyze.truth=" + d + "/truth.h5";
  const AnalyzeConfig given = config_with({truth, "analyze.ensemble=" + d + "/members_k4.h5"});
  const Inputs in = open_inputs(given, MPI_COMM_WORLD);
  EXPECT_EQ(in.members, 4);
  EXPECT_EQ(in.packed, 4);
  EXPECT_EQ(in.count, testing::kFixtureSnapshots);
  EXPECT_EQ(rejection({truth, "analyze.ensemble=" + d + "/members_k4.h5", "analyze.ensemble_members=4"}), "");
  EXPECT_EQ(rejection({truth, "analyze.ensemble=" + d + "/members_packed.h5", "analyze.ensemble_members=4"}), "");
}

TEST(AnalysisInputs, MembersDisagreeingWithTheFileAreInputErrors) {
  if (world_size() > 1) GTEST_SKIP() << "an error leaves the files open on every rank; see analysis_members_*.np2";
  const std::string d = bad_files(), truth = "analyze.truth=" + d + "/truth.h5";
  std::string why = rejection({truth, "analyze.ensemble=" + d + "/members_k4.h5", "analyze.ensemble_members=2"});
  EXPECT_NE(why.find("members_k4.h5: attribute 'members' = 4 (members per sample), but command line: key "
                     "'analyze.ensemble_members' = 2"),
            std::string::npos)
      << why;
  why = rejection({truth, "analyze.ensemble=" + d + "/members_packed.h5", "analyze.ensemble_members=3"});
  EXPECT_NE(why.find("members_packed.h5: dataset 'fields' holds 16 snapshots, not a whole number of samples of 3 "
                     "members (command line: key 'analyze.ensemble_members' = 3)"),
            std::string::npos)
      << why;
  why = rejection({truth, "analyze.ensemble=" + d + "/members_packed.h5"});
  EXPECT_NE(why.find("without a 'members' attribute"), std::string::npos) << why;
  // A packed file listed as one member among others.
  why = rejection({truth, "analyze.ensemble=" + d + "/members_k4.h5," + d + "/member0.h5"});
  EXPECT_NE(why.find("members_k4.h5: its 'members' attribute = 4"), std::string::npos) << why;
}

TEST(AnalysisInputs, AttributeMembersScoreLikeOneFilePerMember) {
  const std::string d = bad_files();
  std::string files;
  for (long m = 0; m < testing::kFixtureMembers; ++m) files += (m ? "," : "") + d + "/member" + std::to_string(m) + ".h5";
  const std::vector<std::string> base = {"analyze.truth=" + d + "/truth.h5", "analyze.metrics=ensemble,rfne",
                                         "run.profile=false"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), base.begin(), base.end());
    return extra;
  };
  ASSERT_EQ(run_flex(with({"analyze.ensemble=" + files, "run.output_dir=" + d + "/members-files"})), 0);
  ASSERT_EQ(run_flex(with({"analyze.ensemble=" + d + "/members_k4.h5", "run.output_dir=" + d + "/members-attr"})), 0);
  ASSERT_EQ(run_flex(with({"analyze.ensemble=" + d + "/members_k4.h5", "analyze.ensemble_members=4",
                           "run.output_dir=" + d + "/members-key"})),
            0);
  if (!is_root()) return;
  const std::string a = slurp(d + "/members-files/analysis_ensemble.csv");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, slurp(d + "/members-attr/analysis_ensemble.csv"));
  EXPECT_EQ(a, slurp(d + "/members-key/analysis_ensemble.csv"));
}

TEST(AnalysisInputs, UncheckedNaNRunsToTheEnd) {
  const std::string d = bad_files(), out = d + "/unchecked";
  ASSERT_EQ(run_flex({"analyze.truth=" + d + "/truth_nan.h5", "analyze.prediction=" + d + "/prediction.h5",
                      "analyze.metrics=rfne,pcc", "analyze.normalise=none", "run.check_finite=false",
                      "run.output_dir=" + out, "run.profile=false"}),
            0);
  if (!is_root()) return;
  EXPECT_EQ(read_csv(out + "/analysis_metrics.csv").size(), 1u + testing::kFixtureSnapshots * 3);
}

}  // namespace
}  // namespace flex::analysis
