// Super-resolution of a field file, snapshot by snapshot: the one pipeline
// behind `flex infer` (infer.task = sr) and the validation suite's sr.skill.
#include <torch/torch.h>

#include <chrono>
#include <limits>
#include <utility>

#include "flex/core/log.hpp"
#include "flex/data/transforms.hpp"
#include "flex/decomp/seams.hpp"
#include "flex/infer/baselines.hpp"
#include "flex/infer/run.hpp"
#include "flex/infer/score.hpp"
#include "job.hpp"

namespace flex::infer {

namespace {

// Progress-line names of the scores, in baseline_names(sr) order after FLEX's.
const std::vector<std::pair<const char*, double SrSnapshot::*>>& scores() {
  static const std::vector<std::pair<const char*, double SrSnapshot::*>> all = {
      {"rfne", &SrSnapshot::rfne},
      {"rfne_bicubic_aligned", &SrSnapshot::rfne_bicubic_aligned},
      {"rfne_conditioning", &SrSnapshot::rfne_conditioning},
      {"rfne_bicubic_align_corners", &SrSnapshot::rfne_bicubic_align_corners}};
  return all;
}

}  // namespace

double SrSummary::mean(double SrSnapshot::*value) const {
  if (fields.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (const auto& f : fields) sum += f.*value;
  return sum / static_cast<double>(fields.size());
}

SrSummary super_resolve_file(const InferConfig& c, c10::Device device, MPI_Comm comm) {
  auto job = open_job(c, Task::SuperResolution, device, comm);
  const bool lowres = c.lowres_input;
  InferenceOutputs out(job.out, comm);
  const auto predict = flex_predictor(job.sampling, Task::SuperResolution, 0);
  SrSummary summary;
  summary.with_truth = job.out.with_truth;
  summary.output = job.out.path;
  const auto& edges = job.tiling.spec().boundary;
  const io::Periodicity wraps{edges.rows == decomp::Boundary::Periodic, edges.cols == decomp::Boundary::Periodic};
  for (size_t i = 0; i < job.snapshots.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = job.snapshots[i];
    const auto fields = read_normalised(job, n);  // [C, H, W]
    const auto truth = lowres ? at::Tensor() : fields;
    const auto coarse = lowres ? fields : data::subsample(fields, c.factor);
    // Patch ids continue across snapshots, so every field draws its own noise.
    const auto sr =
        super_resolve(coarse, c.factor, wraps, job.tiling, predict, c.batch, n * job.tiling.count(), comm);
    const auto& field = sr.prediction;
    const auto baselines = sr_baselines(coarse, sr.upsampled, c.factor, wraps);  // [3, C, H, W]
    out.write(static_cast<long>(i), in_field_units(job, field.mean), in_field_units(job, field.members),
              truth.defined() ? in_field_units(job, truth) : at::Tensor(), in_field_units(job, baselines));
    SrSnapshot s;
    s.snapshot = n;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double seam = 0;
    for (std::int64_t ch = 0; ch < field.mean.size(0); ++ch)
      seam += decomp::seam_metric(job.tiling, field.mean[ch].contiguous().data_ptr<float>());
    s.seam = seam / static_cast<double>(field.mean.size(0));
    log::Fields line{{"snapshot", double(n)}, {"s_per_field", s.seconds}, {"seam", s.seam}};
    if (truth.defined()) {
      s.rfne = score(field.mean, truth).rfne;
      s.rfne_bicubic_aligned = score(baselines[0], truth).rfne;
      s.rfne_conditioning = score(baselines[1], truth).rfne;
      s.rfne_bicubic_align_corners = score(baselines[2], truth).rfne;
      for (const auto& [name, value] : scores()) line.push_back({name, s.*value});
    }
    summary.fields.push_back(s);
    log::progress("infer", static_cast<long>(i + 1), line);
  }
  out.set_attribute("snapshots", std::vector<double>(job.snapshots.begin(), job.snapshots.end()));
  out.set_attribute("task", std::string("sr"));
  out.set_attribute("deck", c.run.deck_text);
  out.close();
  if (summary.with_truth) {
    std::string means;
    for (const auto& [name, value] : scores()) means += std::string(" ") + name + "=" + log::concat(summary.mean(value));
    means += " seam=" + log::concat(summary.mean(&SrSnapshot::seam));
    log::info("infer: mean over ", summary.fields.size(), " field(s):", means);
  }
  finish(c, job.out, comm);
  return summary;
}

}  // namespace flex::infer
