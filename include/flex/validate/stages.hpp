// The stages of a validation suite: `flex dns`, `train`, `infer` and
// `analyze` jobs run in order from their decks inside one `flex validate`,
// each skipped when a previous run finished it with the same resolved deck,
// so a killed suite continues where it stopped (doc/validate.md, "Suites").
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace flex::validate {

struct Stage {
  std::string name;  // the deck's file stem: "train_sr"
  std::string job;   // dns | train | infer | analyze
  std::string deck;  // the stage's deck, absolute
  // validate.stage_overrides items whose key this stage's job declares
  // ("train.batch=2" reaches the train stages only).
  std::vector<std::string> overrides;
};

struct StageRecord {
  Stage stage;
  bool reused = false;  // finished by an earlier run with the same resolved deck
  double seconds = 0;   // wall time of the run that finished it (this one, or the earlier one when reused)
};

// "job:deck" items of validate.stages; decks relative to `base_dir` (the
// suite deck's folder). An unknown job, a missing deck or a repeated name is
// an InputError naming `key_where`.
std::vector<Stage> parse_stages(const std::vector<std::string>& items, const std::string& base_dir,
                                const std::string& key_where, const std::vector<std::string>& overrides = {});

// Parses every stage's deck (keys, types, ranges), so a typo in the last
// stage stops the suite before the first one runs.
void check_stage_decks(const std::vector<Stage>& stages);

// Whether a stage of `job` may write what a later stage reads, so that
// rerunning it invalidates every later stage: dns, train and infer do;
// analyze writes summaries only the suite's checks read.
bool feeds_later_stages(const std::string& job);

// Runs the stages in order with `workdir` as the current directory (the
// stage decks' relative paths point into it), every rank together. A stage
// reruns when its resolved deck differs from the one its marker
// (<workdir>/.stages/<name>.done) holds, and so does every stage after one
// that ran and feeds later stages. A stage's non-zero exit code stops the
// suite and is returned through `exit_code`.
std::vector<StageRecord> run_stages(const std::vector<Stage>& stages, const std::string& workdir, MPI_Comm comm,
                                    int& exit_code);

}  // namespace flex::validate
