#include "flex/app/cli.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <iostream>
#include <string>
#include <vector>

#include "flex/app/command.hpp"
#include "flex/config.hpp"
#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/profiler.hpp"
#include "flex/core/system_info.hpp"

namespace flex {

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "flex %s: FLEX diffusion backbone for 2D turbulence (DNS, training, inference, analysis)\n\n"
               "usage: flex <subcommand> [deck.ini] [key=value ...]\n"
               "       flex <subcommand> --help     every deck key with its type, default and meaning\n"
               "       flex <subcommand> deck.ini [key=value ...] --check   validate the deck, print it resolved, "
               "run nothing\n"
               "       mpirun -n N flex <subcommand> deck.ini   (any N; results independent of N)\n\n"
               "subcommands:\n",
               FLEX_VERSION_STRING);
  for (const auto& c : command_table()) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
}

const Command* find_command(const std::string& name) {
  for (const auto& c : command_table())
    if (name == c.name) return &c;
  return nullptr;
}

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

bool is_override(const std::string& arg) { return arg.find('=') != std::string::npos && arg[0] != '-'; }

int run_command(const Command& cmd, const std::vector<std::string>& words, const Environment& env) {
  DeckSchema schema;
  declare_run_keys(schema);
  cmd.declare_keys(schema);

  std::string deck_path;
  std::vector<std::string> overrides, positional;
  bool check_only = false;
  for (const auto& w : words) {
    if (w == "--check") {
      check_only = true;
      continue;
    }
    if (w == "--help" || w == "-h") {
      if (env.is_root()) {
        std::printf("flex %s: %s\n\nusage: flex %s %s\n\ndeck keys (key = default):\n%s", cmd.name, cmd.summary,
                    cmd.name, cmd.takes_deck ? "[deck.ini] [key=value ...]" : cmd.usage,
                    schema.help_text().c_str());
        if (cmd.takes_deck && std::strlen(cmd.usage) > 0) std::printf("\n%s\n", cmd.usage);
      }
      return 0;
    }
    if (is_override(w)) {
      overrides.push_back(w);
    } else if (cmd.takes_deck && deck_path.empty() && positional.empty()) {
      deck_path = w;
    } else {
      positional.push_back(w);
    }
  }
  FLEX_REQUIRE(!cmd.takes_deck || positional.empty(),
               "flex " << cmd.name << ": unexpected argument '" << positional.front()
                       << "' (one deck file, then key=value overrides)");
  const Deck deck = Deck::parse(schema, deck_path, overrides);
  if (check_only) {
    // Keys, types, ranges and choices; what depends on files or the rank
    // count is checked when the run starts, before any work.
    if (cmd.check != nullptr) cmd.check(deck);
    if (env.is_root())
      std::printf("# flex %s: %s: deck OK\n%s", cmd.name, deck_path.empty() ? "(defaults)" : deck_path.c_str(),
                  deck.resolved_text().c_str());
    return 0;
  }
  const RunSettings run = read_run_settings(deck);
  log::set_quiet(run.quiet);
  RunContext ctx{deck, env, positional};
  int rc = 0;
  {
    FLEX_PROFILE("flex::total");
    rc = cmd.run(ctx);
  }
  if (run.profile) prof::report(env.comm(), std::cout);
  return rc;
}

}  // namespace

int cli_main(int argc, char** argv) {
  Environment env(argc, argv);
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    if (env.is_root()) print_usage(stdout);
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "--version") {
    if (env.is_root()) std::printf("flex %s (commit %s)\n", FLEX_VERSION_STRING, sysinfo::build_commit().c_str());
    return 0;
  }
  try {
    const Command* cmd = find_command(words[0]);
    FLEX_REQUIRE(cmd != nullptr, "unknown subcommand '" << words[0] << "' (run `flex --help` for the list)");
    return run_command(*cmd, std::vector<std::string>(words.begin() + 1, words.end()), env);
  } catch (const InputError& e) {
    return env.end_with_error(2, first_line(e.what()));
  } catch (const std::bad_alloc&) {
    return env.end_with_error(1, "out of memory (lower the batch, the patch count per rank or the grid per rank)");
  } catch (const std::exception& e) {
    // Not an input error: a broken invariant or a library's failure, which a
    // library reports with a backtrace on its later lines.
    return env.end_with_error(1, "internal error: " + first_line(e.what()) + " (please report it with this log)");
  }
}

}  // namespace flex
