// The suite's stages: the library's jobs run from their decks, in order,
// inside one process group, with resumption by resolved-deck markers.
#include "flex/validate/stages.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "flex/analysis/config.hpp"
#include "flex/analysis/run.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/dns/config.hpp"
#include "flex/dns/run.hpp"
#include "flex/infer/config.hpp"
#include "flex/infer/run.hpp"
#include "flex/train/config.hpp"
#include "flex/train/run.hpp"

namespace flex::validate {

namespace fs = std::filesystem;

namespace {

int ranks_of(MPI_Comm comm) {
  int n = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &n));
  return n;
}

// The jobs a stage may run: the same read_config and run() as `flex <job>`.
struct Job {
  const char* name;
  void (*declare)(DeckSchema&);
  int (*run)(const Deck&, MPI_Comm);
};

const std::vector<Job>& jobs() {
  static const std::vector<Job> all = {
      {"dns", dns::declare_keys,
       [](const Deck& d, MPI_Comm c) { return dns::run(dns::read_config(d, ranks_of(c)), c); }},
      {"train", train::declare_keys, [](const Deck& d, MPI_Comm c) { return train::run(train::read_config(d), c); }},
      {"infer", infer::declare_keys, [](const Deck& d, MPI_Comm c) { return infer::run(infer::read_config(d), c); }},
      {"analyze", analysis::declare_keys,
       [](const Deck& d, MPI_Comm c) { return analysis::run(analysis::read_config(d), c); }},
  };
  return all;
}

const Job* find_job(const std::string& name) {
  for (const auto& j : jobs())
    if (name == j.name) return &j;
  return nullptr;
}

// The suite owns its folder: a stage that reruns replaces what it wrote before.
DeckSchema schema_of(const std::string& job) {
  DeckSchema schema;
  declare_run_keys(schema);
  find_job(job)->declare(schema);
  return schema;
}

Deck parse_stage_deck(const Stage& s) {
  auto overrides = s.overrides;
  overrides.push_back("run.overwrite=true");
  return Deck::parse(schema_of(s.job), s.deck, overrides);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return in ? s.str() : std::string();
}

// Every rank works in `dir` while the guard lives, and goes back after.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const fs::path& dir) : previous_(fs::current_path()) { fs::current_path(dir); }
  ~WorkingDirectory() {
    std::error_code ec;
    fs::current_path(previous_, ec);
  }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  fs::path previous_;
};

}  // namespace

std::vector<Stage> parse_stages(const std::vector<std::string>& items, const std::string& base_dir,
                                const std::string& key_where, const std::vector<std::string>& overrides) {
  std::vector<Stage> out;
  std::set<std::string> names;
  for (const auto& item : items) {
    const auto colon = item.find(':');
    FLEX_REQUIRE(colon != std::string::npos && colon > 0 && colon + 1 < item.size(),
                 key_where << ": stage '" << item << "' is not job:deck (e.g. train:quick/train.ini)");
    Stage s;
    s.job = item.substr(0, colon);
    FLEX_REQUIRE(find_job(s.job) != nullptr,
                 key_where << ": stage '" << item << "' names unknown job '" << s.job << "' (dns, train, infer, analyze)");
    fs::path deck = item.substr(colon + 1);
    if (deck.is_relative()) deck = fs::path(base_dir) / deck;
    std::error_code ec;
    FLEX_REQUIRE(fs::is_regular_file(deck, ec), key_where << ": stage deck " << deck.string() << " not found");
    s.deck = fs::absolute(deck).lexically_normal().string();
    s.name = deck.stem().string();
    FLEX_REQUIRE(names.insert(s.name).second,
                 key_where << ": two stages are named '" << s.name << "' (stage names are the decks' file stems)");
    const DeckSchema schema = schema_of(s.job);
    for (const auto& o : overrides)
      if (schema.find(o.substr(0, o.find('='))) != nullptr) s.overrides.push_back(o);
    out.push_back(std::move(s));
  }
  for (const auto& o : overrides) {
    bool used = false;
    for (const auto& s : out) used = used || std::find(s.overrides.begin(), s.overrides.end(), o) != s.overrides.end();
    FLEX_REQUIRE(o.find('=') != std::string::npos && used,
                 key_where << ": stage override '" << o << "' is not key=value with a key some stage's job reads");
  }
  return out;
}

bool feeds_later_stages(const std::string& job) { return job != "analyze"; }

void check_stage_decks(const std::vector<Stage>& stages) {
  for (const auto& s : stages) (void)parse_stage_deck(s);
}

std::vector<StageRecord> run_stages(const std::vector<Stage>& stages, const std::string& workdir, MPI_Comm comm,
                                    int& exit_code) {
  exit_code = 0;
  if (stages.empty()) return {};
  const fs::path markers = fs::path(workdir) / ".stages";
  mpi::on_root(comm, [&] { fs::create_directories(markers); });
  const auto absolute_markers = fs::absolute(markers);
  WorkingDirectory here(workdir);
  std::vector<StageRecord> records;
  const auto t0 = std::chrono::steady_clock::now();
  double ran_seconds = 0;
  long ran = 0;
  bool upstream_ran = false;  // a stage that reran (and feeds later ones) invalidates every later one's outputs
  for (size_t i = 0; i < stages.size(); ++i) {
    const Stage& s = stages[i];
    FLEX_PROFILE("validate::stage");
    const Deck deck = parse_stage_deck(s);
    const std::string resolved = deck.resolved_text();
    const fs::path marker = absolute_markers / (s.name + ".done");
    // Rank 0's view of the marker, so every rank takes the same branch.
    const bool same = mpi::broadcast(read_text(marker), comm) == resolved && !resolved.empty();
    StageRecord r{s, false, 0.0};
    const fs::path timing = absolute_markers / (s.name + ".seconds");
    if (same && !upstream_ran) {
      r.reused = true;
      r.seconds = std::atof(mpi::broadcast(read_text(timing), comm).c_str());
      log::info("validate: stage ", i + 1, "/", stages.size(), " ", s.name, " (", s.job, "): reused, finished by an "
                "earlier run with the same resolved deck");
    } else {
      log::info("validate: stage ", i + 1, "/", stages.size(), " ", s.name, ": flex ", s.job, " ", s.deck);
      mpi::on_root(comm, [&] { fs::remove(marker); });
      const auto start = std::chrono::steady_clock::now();
      int rc = 0;
      try {
        rc = find_job(s.job)->run(deck, comm);
      } catch (const InputError& e) {
        throw InputError("validate stage " + s.name + " (" + s.deck + "): " + e.what());
      }
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (rc != 0) {
        log::warn("validate: stage ", s.name, " ended with exit code ", rc, "; the suite stops here (rerun it to "
                  "continue from this stage)");
        exit_code = rc;
        records.push_back(r);
        return records;
      }
      mpi::on_root(comm, [&] {
        output::write_text_atomic(timing.string(), std::to_string(r.seconds) + "\n");
        output::write_text_atomic(marker.string(), resolved);  // last: the stage counts as finished from here
      });
      upstream_ran = upstream_ran || feeds_later_stages(s.job);
      ran_seconds += r.seconds;
      ++ran;
    }
    records.push_back(r);
    // ETA: the mean of the stages that ran in this process for each one left.
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double left = static_cast<double>(stages.size() - i - 1);
    log::progress("validate", static_cast<long>(i + 1),
                  {{"stages", static_cast<double>(stages.size())},
                   {"elapsed_s", elapsed},
                   {"eta_s", ran > 0 ? left * ran_seconds / static_cast<double>(ran) : 0.0}});
  }
  return records;
}

}  // namespace flex::validate
