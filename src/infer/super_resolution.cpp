// Super-resolution of a field file, snapshot by snapshot: the one pipeline
// behind `flex infer` (infer.task = sr) and the validation suite's sr.skill.
#include <torch/torch.h>

#include <chrono>
#include <limits>

#include "flex/core/log.hpp"
#include "flex/data/transforms.hpp"
#include "flex/infer/run.hpp"
#include "flex/infer/score.hpp"
#include "job.hpp"

namespace flex::infer {

namespace {
double mean_of(const std::vector<SrSnapshot>& fields, double SrSnapshot::*value) {
  if (fields.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (const auto& f : fields) sum += f.*value;
  return sum / static_cast<double>(fields.size());
}
}  // namespace

double SrSummary::mean_rfne() const { return mean_of(fields, &SrSnapshot::rfne); }
double SrSummary::mean_rfne_upsampled() const { return mean_of(fields, &SrSnapshot::rfne_upsampled); }

SrSummary super_resolve_file(const InferConfig& c, c10::Device device, MPI_Comm comm) {
  auto job = open_job(c, Task::SuperResolution, device, comm);
  const double norm = c.norm_std;
  const bool lowres = c.lowres_input;
  InferenceOutputs out(job.out, comm);
  const auto predict = flex_predictor(job.sampling, Task::SuperResolution, 0);
  SrSummary summary;
  summary.with_truth = job.out.with_truth;
  summary.output = job.out.path;
  for (size_t i = 0; i < job.snapshots.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = job.snapshots[i];
    const auto plane = read_plane(job.reader, n, c.channel) / norm;
    const auto truth = lowres ? at::Tensor() : plane;
    const auto coarse = lowres ? plane : data::subsample(plane, c.factor);
    // Patch ids continue across snapshots, so every field draws its own noise.
    const auto sr = super_resolve(coarse, c.factor, job.tiling, predict, c.batch, n * job.tiling.count(), comm);
    const auto& field = sr.prediction;
    out.write(static_cast<long>(i), field.mean * norm, field.members * norm,
              truth.defined() ? truth * norm : at::Tensor());
    SrSnapshot s;
    s.snapshot = n;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.rfne = s.rfne_upsampled = std::numeric_limits<double>::quiet_NaN();
    log::Fields line{{"snapshot", double(n)}, {"s_per_field", s.seconds}};
    if (truth.defined()) {
      s.rfne = score(field.mean, truth).rfne;
      s.rfne_upsampled = score(sr.upsampled, truth).rfne;
      line.push_back({"rfne", s.rfne});
      line.push_back({"rfne_bicubic", s.rfne_upsampled});
    }
    summary.fields.push_back(s);
    log::progress("infer", static_cast<long>(i + 1), line);
  }
  out.set_attribute("snapshots", std::vector<double>(job.snapshots.begin(), job.snapshots.end()));
  out.set_attribute("task", std::string("sr"));
  out.set_attribute("deck", c.run.deck_text);
  out.close();
  if (summary.with_truth)
    log::info("infer: mean RFNE over ", summary.fields.size(), " fields ", summary.mean_rfne());
  finish(c, job.out, comm);
  return summary;
}

}  // namespace flex::infer
