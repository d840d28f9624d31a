// Decks: file + command-line precedence, typed validation with messages that
// name the file and key, and a resolved deck that reproduces the run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"

using namespace flex;
namespace fs = std::filesystem;

namespace {

DeckSchema schema() {
  DeckSchema s;
  s.add_int("grid.n", 256, "grid points per side").range(8, 65536);
  s.add_real("dns.re", 1000.0, "Reynolds number").range(1e-300, {});
  s.add_bool("dns.adaptive", false, "CFL-adaptive time step");
  s.add_choice("model.size", "S", {"tiny", "S", "M", "L"}, "model size");
  s.add_ints("model.channels", "64,128,128,256", "channels per level").range(1, {});
  s.add_reals("data.re", "", "Reynolds numbers");
  s.add_path("run.output_dir", "out", "output directory");
  return s;
}

std::string write_deck(const std::string& name, const std::string& text) {
  const auto path = fs::temp_directory_path() / ("flex_deck_" + name + ".ini");
  std::ofstream(path) << text;
  return path.string();
}

std::string error_of(const std::string& deck, const std::vector<std::string>& overrides = {}) {
  try {
    Deck::parse(schema(), deck, overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Deck, DefaultsFileAndCommandLineInThatPrecedence) {
  const auto path = write_deck("prec", "grid.n = 512   # finer grid\n[dns]\nre = 8000\n");
  const auto deck = Deck::parse(schema(), path, {"grid.n=1024"});
  EXPECT_EQ(deck.get_int("grid.n"), 1024);
  EXPECT_DOUBLE_EQ(deck.get_real("dns.re"), 8000.0);  // [dns] section prefixes its keys
  EXPECT_EQ(deck.get_string("model.size"), "S");
  EXPECT_EQ(deck.get_ints("model.channels"), (std::vector<long>{64, 128, 128, 256}));
  EXPECT_TRUE(deck.get_reals("data.re").empty());
  EXPECT_EQ(deck.origin("grid.n"), Deck::Origin::CommandLine);
  EXPECT_EQ(deck.origin("dns.re"), Deck::Origin::File);
  EXPECT_EQ(deck.origin("model.size"), Deck::Origin::Default);
}

TEST(Deck, UnknownKeyNamesFileAndKey) {
  const auto path = write_deck("unknown", "grid.nn = 512\n");
  const auto msg = error_of(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key 'grid.nn'"), std::string::npos) << msg;
  EXPECT_NE(error_of("", {"nope=1"}).find("unknown key 'nope'"), std::string::npos);
}

TEST(Deck, WrongTypeAndRangeSayWhatIsAllowed) {
  const auto path = write_deck("type", "grid.n = many\n");
  auto msg = error_of(path);
  EXPECT_NE(msg.find("'grid.n' = 'many'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("integer in [8, 65536]"), std::string::npos) << msg;
  msg = error_of("", {"grid.n=4"});
  EXPECT_NE(msg.find("command line"), std::string::npos) << msg;
  msg = error_of("", {"model.size=XL"});
  EXPECT_NE(msg.find("one of: tiny, S, M, L"), std::string::npos) << msg;
  EXPECT_NE(error_of("", {"dns.adaptive=maybe"}).find("true or false"), std::string::npos);
  EXPECT_NE(error_of("", {"model.channels=64,x"}).find("item 'x'"), std::string::npos);
  EXPECT_NE(error_of("", {"dns.re=-5"}).find("dns.re"), std::string::npos);
}

TEST(Deck, DuplicateKeysAndMissingFilesAreErrors) {
  const auto path = write_deck("dup", "grid.n = 64\ngrid.n = 128\n");
  EXPECT_NE(error_of(path).find("more than once"), std::string::npos) << error_of(path);
  EXPECT_NE(error_of("/nonexistent/deck.ini").find("no such input deck"), std::string::npos);
  EXPECT_NE(error_of("", {"grid.n"}).find("not a key=value"), std::string::npos);
}

TEST(Deck, ResolvedTextRepeatsTheRun) {
  const auto first = Deck::parse(schema(), write_deck("r1", "grid.n = 96\n"), {"model.size=M", "data.re=600,1000"});
  const auto again = Deck::parse(schema(), write_deck("r2", first.resolved_text()), {});
  const auto keys = schema().keys();
  for (const auto& k : keys) EXPECT_EQ(first.get_string(k.name), again.get_string(k.name)) << k.name;
  EXPECT_EQ(again.get_reals("data.re"), (std::vector<double>{600, 1000}));
}

TEST(Deck, HelpListsEveryKeyWithTypeDefaultAndMeaning) {
  const auto help = schema().help_text();
  EXPECT_NE(help.find("grid.n = 256"), std::string::npos);
  EXPECT_NE(help.find("grid points per side"), std::string::npos);
  EXPECT_NE(help.find("[choice; one of: tiny, S, M, L]"), std::string::npos);
}

TEST(Deck, ListsAndWhereValuesCameFrom) {
  const auto path = write_deck("where", "model.size = M\n");
  const Deck d = Deck::parse(schema(), path, {"grid.n=64", "data.re=2000, 4000 8000"});
  EXPECT_EQ(d.where("model.size"), path);
  EXPECT_EQ(d.where("grid.n"), "command line");
  EXPECT_EQ(d.where("dns.re"), path + " (default)");
  EXPECT_EQ(d.get_strings("data.re"), (std::vector<std::string>{"2000", "4000", "8000"}));
  EXPECT_EQ(d.values_with_prefix("model."),
            (std::map<std::string, std::string>{{"model.channels", "64,128,128,256"}, {"model.size", "M"}}));
}

TEST(Deck, InheritFillsDefaultsAndRefusesContradictions) {
  const auto path = write_deck("inherit", "grid.n = 128\n");
  const Deck d = Deck::parse(schema(), path, {"dns.re=2000"});
  // Defaults take the inherited values; the same value spelled differently is no contradiction.
  const Deck got = d.inherit({{"model.size", "L"}, {"grid.n", "128.0"}, {"dns.re", "2e3"}, {"not.a.key", "1"}},
                             "ckpt.json (the checkpoint's settings)");
  EXPECT_EQ(got.get_string("model.size"), "L");
  EXPECT_EQ(got.where("model.size"), "ckpt.json (the checkpoint's settings)");
  EXPECT_NE(got.resolved_text().find("model.size = L  # from ckpt.json"), std::string::npos);
  EXPECT_EQ(got.get_int("grid.n"), 128);
  // A value the deck set differently names both.
  try {
    d.inherit({{"grid.n", "256"}}, "ckpt.json");
    FAIL() << "a contradiction was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": key 'grid.n' = 128 contradicts ckpt.json, which has 256"),
              std::string::npos)
        << e.what();
  }
  // Inherited values are validated like deck values.
  EXPECT_THROW(d.inherit({{"model.size", "XL"}}, "ckpt.json"), InputError);
}

TEST(Deck, EmptyOverrideClearsAKeyAndTheLastOverrideWins) {
  const auto path = write_deck("clear", "data.re = 2000, 4000\nrun.output_dir = /scratch/run\n");
  const auto deck = Deck::parse(schema(), path, {"data.re=", "run.output_dir=a", "run.output_dir=b"});
  EXPECT_TRUE(deck.get_reals("data.re").empty());
  EXPECT_EQ(deck.origin("data.re"), Deck::Origin::CommandLine);
  EXPECT_EQ(deck.get_string("run.output_dir"), "b");
  // A key that needs a value says so, naming the command line.
  EXPECT_NE(error_of(path, {"grid.n="}).find("command line: key 'grid.n' = ''"), std::string::npos)
      << error_of(path, {"grid.n="});
}

TEST(Deck, AValueIsBlamedOnWhereItCameFrom) {
  const auto path = write_deck("blame", "grid.n = 4\n");
  EXPECT_NE(error_of(path).find(path + ": key 'grid.n' = '4'"), std::string::npos) << error_of(path);
  const auto fine = write_deck("blame_ok", "grid.n = 64\n");
  EXPECT_NE(error_of(fine, {"grid.n=4"}).find("command line: key 'grid.n' = '4'"), std::string::npos);
}

TEST(Deck, OnlyARegularFileIsADeck) {
  EXPECT_NE(error_of(fs::temp_directory_path().string()).find("is a directory, not an input deck"), std::string::npos);
  EXPECT_NE(error_of("/dev/null").find("/dev/null: is not a regular file"), std::string::npos) << error_of("/dev/null");
}

TEST(Deck, ALineThatIsNotKeyEqualsValueIsNamedByItsNumber) {
  const auto path = write_deck("syntax", "# fine\n[dns]\nre = 8000\n%invalid_line%\n");
  EXPECT_NE(error_of(path).find(path + ":4: '%invalid_line%' is not `key = value`"), std::string::npos)
      << error_of(path);
  EXPECT_NE(error_of(write_deck("syntax2", "= 3\n")).find(":1: '= 3' is not"), std::string::npos);
}

TEST(Deck, RunPrecisionFp16NeedsCudaAndSaysWhere) {
  DeckSchema s;
  declare_run_keys(s);
  const auto path = write_deck("fp16", "run.precision = fp16\n");
  try {
    read_run_settings(Deck::parse(s, path, {}));
    FAIL() << "fp16 on the CPU was accepted";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path + ": key 'run.precision'"), std::string::npos) << m;
    EXPECT_NE(m.find("CUDA only"), std::string::npos) << m;
  }
  EXPECT_EQ(read_run_settings(Deck::parse(s, path, {"run.device=cuda"})).precision, "fp16");
  const auto r = read_run_settings(Deck::parse(s, "", {"run.precision=bf16", "run.memory_format=nhwc"}));
  EXPECT_EQ(r.precision, "bf16");
  EXPECT_EQ(r.memory_format, "nhwc");
  EXPECT_THROW(Deck::parse(s, "", {"run.memory_format=chwn"}), InputError);
}
