// libFuzzer target: the input-deck parser (src/core/deck.cpp) and the deck
// getters. Input layout: deck text, optionally followed by a line "%%" after
// which every line is one command-line override "key=value".
// flex::InputError is the expected answer to bad input; any other exception,
// a sanitizer report, a crash or a hang is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"

namespace {

flex::DeckSchema make_schema() {
  // Modelled on the real declare_keys (src/dns/config.cpp, train, model, io).
  flex::DeckSchema s;
  s.add_int("run.seed", 1234, "seed").range(0, {});
  s.add_path("run.output_dir", "flex-output", "output directory");
  s.add_bool("run.overwrite", false, "replace outputs");
  s.add_int("run.threads", 0, "threads").range(0, 4096);
  s.add_choice("run.device", "cpu", {"cpu", "cuda"}, "device");
  s.add_int("grid.n", 256, "grid points").range(8, 1 << 16);
  s.add_string("dns.re", "8000", "Reynolds number");
  s.add_choice("dns.init", "kraichnan", {"kraichnan", "taylor_green", "file"}, "initial field");
  s.add_real("dns.k0", 10, "peak wavenumber").range(0.5, {});
  s.add_path("dns.init_file", "", "field file");
  s.add_int("dns.init_index", -1, "snapshot").range(-1, {});
  s.add_real("dns.drag", 0.0, "linear drag").range(0, {});
  s.add_real("dns.dt", 1e-3, "time step");
  s.add_real("dns.cfl", 0.8, "CFL").range(0, 1.7320508);
  s.add_string("dns.channels", "u,v,w", "channels");
  s.add_ints("model.channels", "", "channels per level").range(1, 4096);
  s.add_ints("model.blocks", "2,2", "blocks per level").range(1, {});
  s.add_bool("model.strong", true, "strong conditioning");
  s.add_reals("data.re", "", "Re per file").range(0, {});
  s.add_reals("train.lr", "1e-3", "learning rates");
  s.add_ints("inspect.expect", "", "expected shape").range(-1, {});
  s.add_int("data.factor", 8, "SR factor").range(1, 64);
  return s;
}

const flex::DeckSchema& schema() {
  static const flex::DeckSchema s = make_schema();
  return s;
}

std::string deck_file() {
  // Never destroyed: atexit handlers that remove the file may run after static destructors.
  static const std::string* path = [] {
    const char* env = std::getenv("FLEX_FUZZ_TMPDIR");  // run.sh: a scratch dir it removes
    const char* dir = env && *env ? env : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return new std::string(std::string(dir) + "/flex-fuzz-deck-" + std::to_string(getpid()) + ".ini");
  }();
  static const bool cleanup = (std::atexit([] { std::remove(deck_file().c_str()); }), true);
  (void)cleanup;
  return *path;
}

void exercise(const flex::Deck& deck) {
  volatile size_t sink = 0;
  for (const auto& k : schema().keys()) {
    switch (k.type) {
      case flex::KeyType::Int: sink += static_cast<size_t>(deck.get_int(k.name)); break;
      case flex::KeyType::Real: sink += static_cast<size_t>(deck.get_real(k.name) != 0); break;
      case flex::KeyType::Bool: sink += deck.get_bool(k.name); break;
      case flex::KeyType::String:
      case flex::KeyType::Path:
      case flex::KeyType::Choice:
        sink += deck.get_string(k.name).size() + deck.get_strings(k.name).size();
        break;
      case flex::KeyType::IntList: sink += deck.get_ints(k.name).size(); break;
      case flex::KeyType::RealList: sink += deck.get_reals(k.name).size(); break;
    }
    sink += deck.where(k.name).size() + deck.is_set(k.name);
  }
  sink += deck.resolved_text().size() + deck.values_with_prefix("dns.").size() + deck.keys().size();
}

// A deck line holding Boost's own placeholder (`%invalid_line%`) once made
// Program_options' what() loop forever; the corpus keeps that input
// (corpus/deck/placeholder.ini) so the fix stays fixed.

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string text = input;
  std::vector<std::string> overrides;
  const auto sep = input.find("\n%%\n");
  if (sep != std::string::npos) {
    text = input.substr(0, sep + 1);
    std::string rest = input.substr(sep + 4), line;
    for (char c : rest) {
      if (c == '\n') overrides.push_back(line), line.clear();
      else line += c;
    }
    if (!line.empty()) overrides.push_back(line);
    if (overrides.size() > 16) overrides.resize(16);
  }

  const std::string path = deck_file();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);

  try {
    const flex::Deck deck = flex::Deck::parse(schema(), path, overrides);
    exercise(deck);
    // The overrides once more, as values a checkpoint was trained with.
    std::map<std::string, std::string> inherited;
    for (const auto& o : overrides)
      if (const auto eq = o.find('='); eq != std::string::npos) inherited[o.substr(0, eq)] = o.substr(eq + 1);
    try {
      exercise(deck.inherit(inherited, "fuzz checkpoint"));
    } catch (const flex::InputError&) {
    }
    // Overrides alone, no deck file.
    exercise(flex::Deck::parse(schema(), "", overrides));
  } catch (const flex::InputError&) {
    // Bad input, reported as the user would see it: expected.
  }
  return 0;
}
