// Autoregressive forecasting of a field file (infer.task = fc): from raw
// snapshots t0 - Δ and t0, rollout() predicts leads t0 + kΔ; each lead is
// scored against its true snapshot, where the file holds it, beside
// persistence (x_{t0} as the forecast of every lead).
#include <torch/torch.h>

#include <algorithm>
#include <string>

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

}  // namespace

void forecast_file(const InferConfig& c, c10::Device device, MPI_Comm comm) {
  auto job = open_job(c, Task::Forecast, device, comm);
  const long h = c.horizon, t0 = c.start, leads = c.rollout;
  const long n_snapshots = job.reader.shape().n;
  // Truth exists for the leads whose snapshot t0 + kΔ is in the file.
  const long known = std::min<long>(leads, (n_snapshots - 1 - t0) / h);
  auto out_spec = job.out;
  out_spec.with_truth = known == leads;
  if (!out_spec.with_truth)
    log::warn("infer: only ", known, " of ", leads, " leads have a reference snapshot in ", c.input,
              " (scored; no truth file written)");

  const auto prev = read_normalised(job, t0 - h);
  const auto last = read_normalised(job, t0);
  const MemberPredictor predictor = [&](std::int64_t first, std::int64_t count) {
    return flex_predictor(job.sampling, Task::Forecast, first, count);
  };
  const auto lead_members =
      rollout(prev, last, job.tiling, predictor, {leads, job.sampling.members, c.feedback, c.batch}, comm);

  InferenceOutputs out(out_spec, comm);
  const auto persistence = last.unsqueeze(0);  // [1, C, H, W], baseline_names(fc)
  LeadMeans means;
  std::vector<double> targets;
  for (long k = 0; k < leads; ++k) {
    const auto& members = lead_members[static_cast<size_t>(k)];
    const auto mean = members.mean(0);
    const long target = t0 + (k + 1) * h;
    targets.push_back(static_cast<double>(target));
    at::Tensor truth;
    log::Fields line{{"lead", double(k + 1)}, {"snapshot", double(target)}};
    if (k < known) {
      truth = read_normalised(job, target);
      const auto flex = score(mean, truth), kept = score(last, truth);
      means.add(flex, kept);
      line.insert(line.end(), {{"rfne", flex.rfne}, {"pcc", flex.pcc}, {"rfne_persistence", kept.rfne},
                               {"pcc_persistence", kept.pcc}});
    }
    out.write(k, in_field_units(job, mean), in_field_units(job, members),
              out_spec.with_truth ? in_field_units(job, truth) : at::Tensor(), in_field_units(job, persistence));
    log::progress("infer", k + 1, line);
  }
  out.set_attribute("task", std::string("fc"));
  out.set_attribute("start_snapshot", static_cast<double>(t0));
  out.set_attribute("horizon", static_cast<double>(h));
  out.set_attribute("feedback", std::string(c.feedback == Feedback::Mean ? "mean" : "member"));
  if (out_spec.with_truth) out.set_attribute("snapshots", targets);
  out.set_attribute("deck", c.run.deck_text);
  out.close();
  if (means.leads > 0) {
    const double n = static_cast<double>(means.leads);
    log::info("infer: mean over ", means.leads, " lead(s): rfne=", means.rfne / n, " pcc=", means.pcc / n,
              " rfne_persistence=", means.rfne_persistence / n, " pcc_persistence=", means.pcc_persistence / n);
  }
  finish(c, out_spec, comm);
}

}  // namespace flex::infer
