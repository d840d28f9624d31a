// The text forms of the results: numbers read back exactly, CSV cells are
// quoted when needed, JSON keeps its key order, is escaped and has no NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "flex/core/error.hpp"
#include "report.hpp"

namespace flex::analysis {
namespace {

TEST(AnalysisReport, NumbersRoundTrip) {
  for (double x : {0.1, 1.0 / 3.0, 1e-300, -2.5e17, 125.0, M_PI}) EXPECT_EQ(std::strtod(number_text(x).c_str(), nullptr), x);
  EXPECT_EQ(number_text(0.25), "0.25");
  EXPECT_EQ(number_text(std::nan("")), "nan");
  EXPECT_EQ(number_text(-INFINITY), "-inf");
}

TEST(AnalysisReport, CsvQuotesAndChecksRowLength) {
  CsvTable t({"name", "value"});
  t.row() << "a,b" << 1.5;
  t.row() << "say \"hi\"" << 2L;
  EXPECT_EQ(t.text(), "name,value\n\"a,b\",1.5\n\"say \"\"hi\"\"\",2\n");
  t.row() << "short";
  EXPECT_THROW(t.text(), Error);
}

TEST(AnalysisReport, JsonKeepsKeyOrderEscapesAndDropsNan) {
  nlohmann::ordered_json j;
  j["path"] = "a\"b\\c\n";
  j["bad"] = std::nan("");
  j["list"] = {1, 2, "x"};
  EXPECT_EQ(json_text(j),
            "{\n  \"path\": \"a\\\"b\\\\c\\n\",\n  \"bad\": null,\n  \"list\": [\n    1,\n    2,\n    \"x\"\n  ]\n}\n");
  // A file name that is not UTF-8 is written (U+FFFD for the bad byte), not thrown on.
  j["path"] = "bad\xff.h5";
  EXPECT_NE(json_text(j).find("\"bad\xEF\xBF\xBD.h5\""), std::string::npos) << json_text(j);
}

}  // namespace
}  // namespace flex::analysis
