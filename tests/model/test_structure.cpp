// FLEX's state dict against the reference: names, shapes and order equal to
// tests/reference/{small,medium,big}.tsv; parameter counts of SPEC §5; the
// shape table (used to count without allocating) equal to the built modules.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/model/config.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/shapes.hpp"
#include "flex/model/state_dict.hpp"

using namespace flex::model;

namespace {

struct Row {
  std::string name, shape;
};

// "name<TAB>[a, b]<TAB>numel" lines; '#' lines are comments.
std::vector<Row> read_tsv(const std::string& file) {
  std::ifstream in(std::string(FLEX_TEST_DATA_DIR) + "/reference/" + file);
  EXPECT_TRUE(in.good()) << file;
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    Row r;
    std::getline(s, r.name, '\t');
    std::getline(s, r.shape, '\t');
    rows.push_back(r);
  }
  return rows;
}

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::ostringstream o;
  o << "[";
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

FlexConfig config(const std::string& size, TaskSet tasks) {
  auto c = flex_config_for_size(size);
  c.tasks = tasks;
  return c;
}

void expect_matches_tsv(const std::string& size, const std::string& file) {
  const auto rows = read_tsv(file);
  const auto shapes = flex_state_shapes(config(size, TaskSet::Multitask));
  ASSERT_EQ(rows.size(), shapes.size()) << file;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].name, shapes[i].name) << file << " entry " << i;
    EXPECT_EQ(rows[i].shape, shape_text(shapes[i].shape)) << rows[i].name;
  }
}

// The built module's state dict, entry for entry, against the shape table.
void expect_module_matches_shapes(const FlexConfig& c) {
  const auto net = Flex(c);
  const auto dict = state_dict(*net);
  const auto shapes = flex_state_shapes(c);
  ASSERT_EQ(dict.size(), shapes.size()) << describe(c);
  for (std::size_t i = 0; i < dict.size(); ++i) {
    EXPECT_EQ(dict[i].first, shapes[i].name) << describe(c);
    EXPECT_EQ(dict[i].second.sizes().vec(), shapes[i].shape) << dict[i].first;
  }
  EXPECT_EQ(count_parameters(*net), count_parameters(c)) << describe(c);
}

}  // namespace

TEST(ModelStructure, NamesShapesAndOrderMatchReferenceSmall) { expect_matches_tsv("S", "small.tsv"); }
TEST(ModelStructure, NamesShapesAndOrderMatchReferenceMedium) { expect_matches_tsv("M", "medium.tsv"); }
TEST(ModelStructure, NamesShapesAndOrderMatchReferenceBig) { expect_matches_tsv("L", "big.tsv"); }

TEST(ModelStructure, ParameterCountsOfThePaper) {
  EXPECT_EQ(count_parameters(config("S", TaskSet::SuperResolution)), 49718529);
  EXPECT_EQ(count_parameters(config("S", TaskSet::Multitask)), 58315969);
  EXPECT_EQ(count_parameters(config("M", TaskSet::SuperResolution)), 199170561);
  EXPECT_EQ(count_parameters(config("M", TaskSet::Multitask)), 233836225);
  EXPECT_EQ(count_parameters(config("L", TaskSet::Multitask)), 1089812225);
  // Per sub-network, as the .tsv totals.
  const auto s = config("S", TaskSet::Multitask);
  EXPECT_EQ(count_parameters(s, "encoder."), 12609920);
  EXPECT_EQ(count_parameters(s, "superres_encoder."), 8596864);
  EXPECT_EQ(count_parameters(s, "forecast_encoder."), 8597440);
  EXPECT_EQ(count_parameters(s, "decoder."), 28511745);
}

TEST(ModelStructure, BuiltFlexSMatchesShapeTableAndCounts) {
  const auto c = config("S", TaskSet::Multitask);
  expect_module_matches_shapes(c);
  const auto net = Flex(config("S", TaskSet::SuperResolution));
  EXPECT_EQ(count_parameters(*net), 49718529);
  // Registered sub-networks carry the reference's names.
  std::vector<std::string> children;
  for (const auto& kv : Flex(config("tiny", TaskSet::Multitask))->named_children()) children.push_back(kv.key());
  EXPECT_EQ(children, (std::vector<std::string>{"encoder", "superres_encoder", "forecast_encoder", "decoder"}));
}

TEST(ModelStructure, ShapeTableMatchesModulesForEveryVariant) {
  for (auto tasks : {TaskSet::SuperResolution, TaskSet::Forecast, TaskSet::Multitask}) {
    auto c = config("tiny", tasks);
    expect_module_matches_shapes(c);
    c.in_channels = 3, c.out_channels = 2, c.cond_frames = 3, c.n_cond_scalars = 2, c.img = 64;
    expect_module_matches_shapes(c);
  }
  auto concat = config("tiny", TaskSet::Forecast);
  concat.conditioning = Conditioning::Concat;
  expect_module_matches_shapes(concat);
  EXPECT_EQ(concat.encoder_input_channels(), 1 + 2);
}

TEST(ModelStructure, WeakConditioningDepth) {
  auto c = config("S", TaskSet::SuperResolution);
  EXPECT_EQ(c.encoder_blocks(), 16);
  EXPECT_EQ(c.weak_blocks(), 16);  // -1: every block, as the reference
  c.weak_levels = 0;
  EXPECT_EQ(c.weak_blocks(), 0);
  c.weak_levels = 1;
  EXPECT_EQ(c.weak_blocks(), 1 + 2 + 1);  // stem, level-0 blocks, level-0 down block
  c.weak_levels = 2;
  EXPECT_EQ(c.weak_blocks(), 1 + 3 + 4);
  c.weak_levels = 4;
  EXPECT_EQ(c.weak_blocks(), 16);
}

TEST(ModelStructure, InvalidConfigurationsNameTheKey) {
  auto c = config("S", TaskSet::SuperResolution);
  c.img = 200;
  EXPECT_THROW(c.validate(), flex::InputError);
  c = config("S", TaskSet::SuperResolution);
  c.heads = 3;
  try {
    c.validate("deck.ini");
    FAIL() << "heads 3 accepted";
  } catch (const flex::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model.heads"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("deck.ini"), std::string::npos) << e.what();
  }
  c = config("S", TaskSet::Multitask);
  c.conditioning = Conditioning::Concat;
  EXPECT_THROW(c.validate(), flex::InputError);
  c = config("S", TaskSet::SuperResolution);
  c.strong = false, c.weak_levels = 0;
  EXPECT_THROW(c.validate(), flex::InputError);
  EXPECT_THROW(flex_config_for_size("XL"), flex::InputError);
}
