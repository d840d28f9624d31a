// Autoregressive forecasting of a field file (infer.task = fc): from raw
// snapshots t0 - Δ and t0, rollout() predicts leads t0 + kΔ; each lead is
// scored against its true snapshot, where the file holds it, beside
// persistence (x_{t0} as the forecast of every lead). Each lead is written
// and flushed as it is made, with the count of complete leads in every file,
// so a run cut short keeps its leads and infer.restart = auto continues it.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "flex/core/collectives.hpp"
#include "flex/core/log.hpp"
#include "flex/infer/rollout.hpp"
#include "flex/infer/score.hpp"
#include "job.hpp"

namespace flex::infer {

namespace {

// Running sums of the per-lead scores, for the summary line.
struct LeadMeans {
  long leads = 0;
  double rfne = 0, pcc = 0, rfne_persistence = 0, pcc_persistence = 0;
  void add(const PlaneScore& flex, const PlaneScore& persistence) {
    ++leads, rfne += flex.rfne, pcc += flex.pcc;
    rfne_persistence += persistence.rfne, pcc_persistence += persistence.pcc;
  }
};

// The resolved deck less comments and the keys that do not change what a
// forecast computes: two runs with the same text write the same leads.
std::string defining_text(const std::string& deck_text) {
  static const std::vector<std::string> ignored = {"run.overwrite", "infer.restart", "run.profile",
                                                   "run.check_finite", "run.threads"};
  std::istringstream in(deck_text);
  std::string line, out;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    line.erase(line.find_last_not_of(" \t") + 1);
    const std::string key = line.substr(0, line.find(' '));
    if (line.empty() || std::find(ignored.begin(), ignored.end(), key) != ignored.end()) continue;
    out += line + "\n";
  }
  return out;
}

// This rank's block of entry `entry` of an output file (all its channels, the job's), normalised: [C, h, w].
at::Tensor read_output(const Job& job, const io::FieldReader& file, long entry, const decomp::Rect& block) {
  std::vector<std::int64_t> all(job.channels.size());
  for (size_t k = 0; k < all.size(); ++k) all[k] = static_cast<std::int64_t>(k);
  return normalised(job, read_block(file, entry, all, block));
}

// How many leads of an earlier run of this same forecast every one of its
// output files holds completely; -1 when there is no such run (collective).
long complete_leads(const InferConfig& c, const OutputSpec& spec, MPI_Comm comm) {
  long done = spec.snapshots;
  for (const auto& path : output_paths(spec)) {
    if (mpi::any(!std::filesystem::exists(path), comm)) return -1;  // every rank must see it
    io::FieldReader file(path, comm);
    const auto s = file.shape();
    if (!file.has_attribute(kCompleteAttribute) || !file.has_attribute("deck") ||
        defining_text(file.attribute_string("deck")) != defining_text(c.run.deck_text) || s.h != spec.height ||
        s.w != spec.width)
      return -1;
    done = std::min(done, static_cast<long>(file.attribute_double(kCompleteAttribute)));
  }
  return done;
}

// The layout an earlier run of infer.output settled on (attribute
// memory_format), "" if none: a resumed run computes with the same kernels,
// so its leads equal the uninterrupted run's bit for bit (collective).
std::string earlier_memory_format(const InferConfig& c, MPI_Comm comm) {
  if (!c.restart || c.run.overwrite || mpi::any(!std::filesystem::exists(c.output), comm)) return "";
  const io::FieldReader file(c.output, comm);
  return file.has_attribute("memory_format") ? file.attribute_string("memory_format") : "";
}

}  // namespace

void forecast_file(const InferConfig& config, c10::Device device, MPI_Comm comm) {
  InferConfig c = config;
  const std::string layout = earlier_memory_format(c, comm);
  if (!layout.empty() && c.run.memory_format == "auto") c.run.memory_format = layout;
  auto job = open_job(c, Task::Forecast, device, comm);
  const auto d = block_decomposition(c, job, comm);
  const auto b = d->block(d->rank());
  const auto read_input = [&](long n) { return normalised(job, read_block(job.reader, n, job.channels, b)); };
  const long h = c.horizon, t0 = c.start, leads = c.rollout, K = job.sampling.members;
  const long n_snapshots = job.reader.shape().n;
  // Truth exists for the leads whose snapshot t0 + kΔ is in the file.
  const long known = std::min<long>(leads, (n_snapshots - 1 - t0) / h);
  auto out_spec = job.out;
  out_spec.with_truth = known == leads;
  out_spec.streamed = true;
  if (!out_spec.with_truth)
    log::warn("infer: only ", known, " of ", leads, " leads have a reference snapshot in ", c.input,
              " (scored; no truth file written)");

  const auto first = read_input(t0 - h);
  const auto persistence = read_input(t0);  // x_{t0}: baseline_names(fc)
  RolloutState state = initial_state(first, persistence, K);
  // run.overwrite = true replaces what is there, as it does for training.
  const long earlier = c.restart && !c.run.overwrite ? complete_leads(c, out_spec, comm) : -1;
  const long done = std::max(earlier, 0L);
  if (done == leads) {
    log::info("infer: ", out_spec.path, " already holds all ", leads, " leads of this forecast (infer.restart = auto)");
    return;
  }
  if (done > 0) {
    // The frames lead `done` starts from, exactly as the uninterrupted run fed them back.
    const bool own = c.feedback == Feedback::Member && K > 1;
    io::FieldReader fed(own ? with_suffix(out_spec.path, ".members") : out_spec.path, comm);
    const auto frames = [&](long lead) {
      if (lead < 0) return state.last;  // x_{t0}
      std::vector<at::Tensor> m;
      for (long k = 0; k < K; ++k) m.push_back(read_output(job, fed, own ? lead * K + k : lead, b));
      return torch::stack(m);
    };
    state = {done, frames(done - 2), frames(done - 1)};
    out_spec.resume = true;
    log::info("infer: resuming ", out_spec.path, " at lead ", done + 1, " of ", leads, " (leads 1 to ", done,
              " are complete; infer.restart = auto)");
  } else if (earlier == 0) {
    // This same forecast stopped before its first lead: nothing to keep.
    out_spec.overwrite = true;
    log::info("infer: replacing ", out_spec.path, ", an earlier run of this forecast that completed no lead");
  }

  LeadMeans means;
  const auto truth_of = [&](long k) { return read_input(t0 + (k + 1) * h); };
  if (done > 0) {
    // The summary covers every lead: those of the earlier run from its file
    // (read before the files are reopened for writing).
    io::FieldReader written(out_spec.path, comm);
    for (long k = 0; k < std::min(done, known); ++k) {
      const auto truth = truth_of(k);
      means.add(score(read_output(job, written, k, b), truth, d->comm()), score(persistence, truth, d->comm()));
    }
  }
  InferenceOutputs out(out_spec, comm);
  if (!out_spec.resume) {
    out.set_attribute("task", std::string("fc"));
    record_tiling(out, job.tiling);
    out.set_attribute("start_snapshot", static_cast<double>(t0));
    out.set_attribute("horizon", static_cast<double>(h));
    out.set_attribute("feedback", std::string(c.feedback == Feedback::Mean ? "mean" : "member"));
    std::vector<double> targets;
    for (long k = 0; k < leads; ++k) targets.push_back(static_cast<double>(t0 + (k + 1) * h));
    if (out_spec.with_truth) out.set_attribute("snapshots", targets);
    out.set_attribute("deck", c.run.deck_text);
    out.set_attribute("memory_format", job.sampling.memory_format);
    out.mark_complete(0);
  }
  RolloutOptions options{leads, K, c.feedback, {}};
  options.as_stored = [&](const at::Tensor& x) { return normalised(job, in_field_units(job, x)); };
  const MemberPredictor predictor = [&](std::int64_t first_member, std::int64_t count) {
    return block_predictor(job.sampling, Task::Forecast, *d, c.batch, first_member, count);
  };
  rollout(state, *d, predictor, options, [&](std::int64_t k, const at::Tensor& members) {
    const auto mean = members.mean(0);
    const long target = t0 + (k + 1) * h;
    at::Tensor truth;
    log::Fields line{{"lead", double(k + 1)}, {"snapshot", double(target)}};
    if (k < known) {
      truth = truth_of(k);
      const auto flex = score(mean, truth, d->comm()), kept = score(persistence, truth, d->comm());
      means.add(flex, kept);
      line.insert(line.end(), {{"rfne", flex.rfne}, {"pcc", flex.pcc}, {"rfne_persistence", kept.rfne},
                               {"pcc_persistence", kept.pcc}});
    }
    out.write_block(k, b, in_field_units(job, mean), in_field_units(job, members),
                    out_spec.with_truth ? in_field_units(job, truth) : at::Tensor(),
                    in_field_units(job, persistence.unsqueeze(0)));
    out.mark_complete(k + 1);
    log::progress("infer", k + 1, line);
  });
  out.close();
  if (means.leads > 0) {
    const double n = static_cast<double>(means.leads);
    log::info("infer: mean over ", means.leads, " lead(s): rfne=", means.rfne / n, " pcc=", means.pcc / n,
              " rfne_persistence=", means.rfne_persistence / n, " pcc_persistence=", means.pcc_persistence / n);
  }
  finish(c, out_spec, comm);
}

}  // namespace flex::infer
