// Autoregressive forecasting of a field file (infer.task = fc): each ensemble
// member rolls out its own trajectory from the two known frames.
#include <torch/torch.h>

#include <algorithm>

#include "flex/core/log.hpp"
#include "flex/infer/score.hpp"
#include "job.hpp"

namespace flex::infer {

void forecast_file(const InferConfig& c, c10::Device device, MPI_Comm comm) {
  auto job = open_job(c, Task::Forecast, device, comm);
  const double norm = c.norm_std;
  const auto& snapshots = job.snapshots;
  const long h = c.horizon, start = c.start, steps = c.rollout;
  const auto n_pos = static_cast<long>(snapshots.size());
  // Truth exists for the steps whose target lies inside the snapshot list.
  const long known = std::min<long>(steps, (n_pos - 1 - start) / h);
  auto out_spec = job.out;
  out_spec.with_truth = known == steps;
  if (!out_spec.with_truth)
    log::warn("infer: only ", known, " of ", steps, " rollout steps have a reference snapshot; no truth file written");

  // Each member rolls out its own trajectory: members' fields per step.
  std::vector<at::Tensor> step_members(static_cast<size_t>(steps));
  for (std::int64_t m = 0; m < job.sampling.members; ++m) {
    auto prev = read_plane(job.reader, snapshots[static_cast<size_t>(start - h)], c.channel) / norm;
    auto last = read_plane(job.reader, snapshots[static_cast<size_t>(start)], c.channel) / norm;
    const auto predict = flex_predictor(job.sampling, Task::Forecast, m);
    for (std::int64_t k = 0; k < steps; ++k) {
      const auto frames = torch::stack({prev, last});  // oldest first
      const auto field =
          predict_field(frames, last.unsqueeze(0), job.tiling, predict, c.batch, k * job.tiling.count(), comm);
      auto next = field.members[0];
      step_members[static_cast<size_t>(k)] =
          m == 0 ? next.unsqueeze(0) : torch::cat({step_members[static_cast<size_t>(k)], next.unsqueeze(0)});
      prev = last, last = next;
    }
  }
  InferenceOutputs out(out_spec, comm);
  std::vector<double> targets;
  for (std::int64_t k = 0; k < steps; ++k) {
    const auto& members = step_members[static_cast<size_t>(k)];
    const auto mean = members.mean(0);
    at::Tensor truth;
    log::Fields line{{"lead", double(k + 1)}};
    if (out_spec.with_truth) {
      const auto target = snapshots[static_cast<size_t>(start + (k + 1) * h)];
      targets.push_back(static_cast<double>(target));
      truth = read_plane(job.reader, target, c.channel) / norm;
      const auto s = score(mean, truth);
      line.push_back({"rfne", s.rfne});
      line.push_back({"pcc", s.pcc});
    }
    out.write(static_cast<long>(k), mean * norm, members * norm, truth.defined() ? truth * norm : at::Tensor());
    log::progress("infer", k + 1, line);
  }
  out.set_attribute("task", std::string("fc"));
  out.set_attribute("start_snapshot", static_cast<double>(snapshots[static_cast<size_t>(start)]));
  if (!targets.empty()) out.set_attribute("snapshots", targets);
  out.set_attribute("deck", c.run.deck_text);
  out.close();
  finish(c, out_spec, comm);
}

}  // namespace flex::infer
