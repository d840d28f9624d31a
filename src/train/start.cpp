#include "flex/train/start.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/train/checkpoint.hpp"

namespace fs = std::filesystem;

namespace flex::train {

namespace {

// "key = value (where it came from)", as messages name a setting.
std::string setting(const TrainOptions& o, const std::string& key, const std::string& value) {
  const auto it = o.origins.find(key);
  return key + " = " + value + (it == o.origins.end() ? "" : " (" + it->second + ")");
}

fs::path normalised(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

bool inside(const std::string& path, const std::string& dir) {
  const fs::path rel = normalised(path).lexically_relative(normalised(dir));
  return !rel.empty() && rel != "." && *rel.begin() != "..";
}

std::string listing(const std::vector<std::string>& names) {
  std::ostringstream s;
  const std::size_t shown = std::min<std::size_t>(names.size(), 6);
  for (std::size_t i = 0; i < shown; ++i) s << (i ? ", " : "") << names[i];
  if (shown < names.size()) s << " and " << names.size() - shown << " more";
  return s.str();
}

// Outputs that cost nothing to replace: a run that never reached a checkpoint
// cannot be resumed, and its log and deck are all it left.
bool only_logs(const std::vector<std::string>& found, const std::string& deck_name) {
  return std::all_of(found.begin(), found.end(),
                     [&](const std::string& f) { return f == "metrics.jsonl" || f == "train.deck.ini" || f == deck_name; });
}

}  // namespace

StartPlan plan_start(const TrainOptions& o) {
  const fs::path dir(o.output_dir);
  std::error_code ec;
  FLEX_REQUIRE(!fs::exists(dir, ec) || fs::is_directory(dir, ec),
               setting(o, "run.output_dir", o.output_dir) << ": exists and is not a directory; choose another run.output_dir");
  StartPlan plan;
  const CheckpointStore store((dir / "checkpoints").string(), 1);
  for (const auto& chk : store.all_directories()) plan.found.push_back("checkpoints/" + fs::path(chk).filename().string());
  std::vector<std::string> names = {"metrics.jsonl", "train.deck.ini"};
  if (!o.export_name.empty()) names.push_back(o.export_name);
  std::string deck_name;
  if (!o.deck_path.empty() && inside(o.deck_path, o.output_dir)) {
    deck_name = normalised(o.deck_path).lexically_relative(normalised(o.output_dir)).string();
    if (std::find(names.begin(), names.end(), deck_name) == names.end()) names.push_back(deck_name);
  }
  for (const auto& name : names)
    if (fs::exists(dir / name, ec)) plan.found.push_back(name);

  const std::string& restart = o.restart;
  if (restart == "auto") {
    if (auto newest = store.newest()) plan.checkpoint = *newest;
  } else if (restart != "none" && !restart.empty()) {
    plan.checkpoint = restart;
  }
  plan.resumes_here = !plan.checkpoint.empty() && inside(plan.checkpoint, o.output_dir);
  if (plan.resumes_here || plan.found.empty()) return plan;
  const bool nothing_to_resume = restart == "auto";  // auto found no checkpoint here
  if (o.overwrite || (nothing_to_resume && only_logs(plan.found, deck_name))) {
    plan.replaces_run = true;
    return plan;
  }
  std::ostringstream why, ways;
  if (nothing_to_resume) {
    why << setting(o, "train.restart", restart) << " finds no checkpoint there to resume";
    ways << "set run.overwrite = true to replace that run, or choose another run.output_dir";
  } else {
    why << setting(o, "train.restart", restart)
        << (plan.checkpoint.empty() ? " starts a new run" : " resumes a checkpoint of another directory");
    ways << "resume that run (train.restart = auto, or one of its chk directories), or set run.overwrite = true to "
            "replace it (or choose another run.output_dir)";
  }
  FLEX_REQUIRE(false, setting(o, "run.output_dir", o.output_dir)
                          << ": holds the outputs of another run (" << listing(plan.found) << ") and " << why.str()
                          << ", which would replace its model and mix their checkpoints; " << ways.str());
  return plan;
}

StartPlan plan_start(const TrainOptions& options, MPI_Comm comm) {
  StartPlan plan;
  mpi::on_root(comm, [&] { plan = plan_start(options); });
  std::string found;
  for (const auto& f : plan.found) found += f + '\n';
  const std::string flags = mpi::broadcast(std::string(1, plan.resumes_here ? '1' : '0') + (plan.replaces_run ? '1' : '0'), comm);
  plan.checkpoint = mpi::broadcast(plan.checkpoint, comm);
  found = mpi::broadcast(found, comm);
  plan.resumes_here = flags[0] == '1';
  plan.replaces_run = flags[1] == '1';
  plan.found.clear();
  std::istringstream lines(found);
  for (std::string line; std::getline(lines, line);) plan.found.push_back(line);
  return plan;
}

}  // namespace flex::train
