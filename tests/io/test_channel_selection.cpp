// Deck text naming channels, resolved against a file's channel names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flex/core/error.hpp"
#include "flex/io/channel_selection.hpp"

using namespace flex;
using Names = std::vector<std::string>;
using Indices = std::vector<std::int64_t>;

namespace {

std::string rejection(const std::string& text, const Names& names) {
  try {
    io::select_channels(text, names, "key 'infer.channel' = " + text + " (deck)", "f.h5");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ChannelSelection, AutoIsTheVorticity) {
  EXPECT_EQ(io::select_channels("auto", {"u", "v", "w"}, "", "f"), Indices{2});
  EXPECT_EQ(io::select_channels("auto", {"omega", "u"}, "", "f"), Indices{0});
  EXPECT_EQ(io::select_channels("auto", {"w"}, "", "f"), Indices{0});
  EXPECT_EQ(io::select_channels("auto", {"ke10m", "t2m", "tcwv"}, "", "f"), Indices{2});  // 2 of 3, as before names
  EXPECT_EQ(io::select_channels("auto", {"a", "b"}, "", "f"), Indices{0});
}

TEST(ChannelSelection, AllIndicesAndNamesInTheGivenOrder) {
  const Names era5{"ke10m", "t2m", "tcwv"};
  EXPECT_EQ(io::select_channels("all", era5, "", "f"), (Indices{0, 1, 2}));
  EXPECT_EQ(io::select_channels("1", era5, "", "f"), Indices{1});
  EXPECT_EQ(io::select_channels("t2m", era5, "", "f"), Indices{1});
  EXPECT_EQ(io::select_channels("tcwv, 0", era5, "", "f"), (Indices{2, 0}));
  EXPECT_EQ(io::select_channels(io::channels_text(Names{"tcwv", "ke10m"}), era5, "", "f"), (Indices{2, 0}));
}

TEST(ChannelSelection, BadEntriesNameTheKeyTheFileAndTheChoices) {
  const Names uvw{"u", "v", "w"};
  const auto missing = rejection("t2m", uvw);
  EXPECT_NE(missing.find("key 'infer.channel' = t2m (deck): 't2m' is not a channel of f.h5 (0 = u, 1 = v, 2 = w"),
            std::string::npos)
      << missing;
  EXPECT_NE(rejection("3", uvw).find("'3' is not a channel"), std::string::npos);
  EXPECT_NE(rejection("-1", uvw).find("'-1' is not a channel"), std::string::npos);
  EXPECT_NE(rejection("u,u", uvw).find("channel 'u' is selected twice"), std::string::npos);
  EXPECT_NE(rejection("", uvw).find("selects no channel"), std::string::npos);
}

TEST(ChannelSelection, OneValueServesEveryChannel) {
  EXPECT_EQ(io::per_channel({2.5}, 3, "k"), (std::vector<double>{2.5, 2.5, 2.5}));
  EXPECT_EQ(io::per_channel({1, 2}, 2, "k"), (std::vector<double>{1, 2}));
  try {
    io::per_channel({1, 2}, 3, "key 'data.norm_std' = 1,2 (deck)");
    FAIL() << "two values for three channels accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("key 'data.norm_std' = 1,2 (deck): 2 values for 3 channel(s)"), std::string::npos)
        << e.what();
  }
}
