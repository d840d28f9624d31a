// Super-resolution of a field file, snapshot by snapshot: the one pipeline
// behind `flex infer` (infer.task = sr) and the validation suite's sr.skill.
// Domain-decomposed (decomp/blocks.hpp): each rank reads the low-res window
// its reach and block need, upsamples it there with the whole-field weights,
// samples its own patches, exchanges the overlaps with its neighbours, and
// scores and writes its block; no rank holds a whole field.
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <limits>
#include <utility>

#include "flex/core/log.hpp"
#include "flex/data/transforms.hpp"
#include "flex/decomp/blocks.hpp"
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

// Where a rank's pixels lie and the low-res window they need, the same for every snapshot.
struct SrGeometry {
  decomp::Rect reach, block;
  std::vector<std::int64_t> reach_rows, reach_cols, block_rows, block_cols;  // high-res positions
  data::LowResWindow rows, cols;                                           // the low-res window read
  std::int64_t lr_rows = 0, lr_cols = 0;                                   // low-res field size
};

// Positions of a span along an axis: unwrapped where it wraps (the weights
// are periodic), else the tiling's mirror image inside the field.
std::vector<std::int64_t> positions(decomp::Span s, bool wraps, const std::function<long(long)>& mirrored) {
  std::vector<std::int64_t> out;
  for (long u = s.begin; u < s.end; ++u) out.push_back(wraps ? u : mirrored(u));
  return out;
}

data::LowResWindow hull(std::initializer_list<data::LowResWindow> ws) {
  data::LowResWindow out{0, 0};
  for (const auto& w : ws) {
    if (w.count == 0) continue;
    if (out.count == 0) {
      out = w;
      continue;
    }
    const auto lo = std::min(out.begin, w.begin), hi = std::max(out.begin + out.count, w.begin + w.count);
    out = {lo, hi - lo};
  }
  return out;
}

SrGeometry sr_geometry(const decomp::BlockDecomposition& d, std::int64_t factor, data::Bicubic conditioning,
                       io::Periodicity wraps) {
  const auto& t = d.tiling();
  SrGeometry g;
  g.reach = d.reach(d.rank()), g.block = d.block(d.rank());
  g.lr_rows = t.spec().height / factor, g.lr_cols = t.spec().width / factor;
  g.reach_rows = positions(g.reach.rows, wraps.rows, [&](long u) { return t.field_row(u); });
  g.reach_cols = positions(g.reach.cols, wraps.cols, [&](long u) { return t.field_col(u); });
  g.block_rows = positions(g.block.rows, false, [](long u) { return u; });
  g.block_cols = positions(g.block.cols, false, [](long u) { return u; });
  const auto needed = [&](const std::vector<std::int64_t>& reach, const std::vector<std::int64_t>& block,
                          std::int64_t n_lr, bool wrap) {
    using data::Bicubic;
    return hull({data::bicubic_needed(reach, factor, n_lr, conditioning, wrap),
                 data::bicubic_needed(block, factor, n_lr, Bicubic::Aligned, wrap),
                 data::bicubic_needed(block, factor, n_lr, Bicubic::AlignCorners, wrap)});
  };
  g.rows = needed(g.reach_rows, g.block_rows, g.lr_rows, wraps.rows);
  g.cols = needed(g.reach_cols, g.block_cols, g.lr_cols, wraps.cols);
  return g;
}

// The window [C, rows, cols] upsampled at the given positions.
at::Tensor upsample(const at::Tensor& window, const SrGeometry& g, data::Bicubic kind, std::int64_t factor,
                    io::Periodicity wraps, const std::vector<std::int64_t>& rows, const std::vector<std::int64_t>& cols) {
  const auto mr = data::bicubic_axis_matrix(rows, factor, g.lr_rows, kind, wraps.rows, g.rows).to(window.options());
  const auto mc = data::bicubic_axis_matrix(cols, factor, g.lr_cols, kind, wraps.cols, g.cols).to(window.options());
  return torch::matmul(torch::matmul(mr, window), mc.t());
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
  const auto decomposition = block_decomposition(c, job, comm);
  const auto& d = *decomposition;
  const bool lowres = c.lowres_input;
  InferenceOutputs out(job.out, comm);
  const auto predict = block_predictor(job.sampling, Task::SuperResolution, d, c.batch, 0);
  SrSummary summary;
  summary.with_truth = job.out.with_truth;
  summary.output = job.out.path;
  const auto& edges = job.tiling.spec().boundary;
  const io::Periodicity wraps{edges.rows == decomp::Boundary::Periodic, edges.cols == decomp::Boundary::Periodic};
  const SrGeometry geo = sr_geometry(d, c.factor, c.sr_upsampling, wraps);
  const auto& b = geo.block;
  const long C = static_cast<long>(job.channels.size());
  for (size_t i = 0; i < job.snapshots.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = job.snapshots[i];
    using data::Bicubic;
    const auto coarse =
        normalised(job, read_window(job.reader, n, job.channels, geo.rows, geo.cols, lowres ? 1 : c.factor));
    const auto conditioning = upsample(coarse, geo, c.sr_upsampling, c.factor, wraps, geo.reach_rows, geo.reach_cols);
    // Patch ids continue across snapshots, so every field draws its own noise.
    const auto field = predict(conditioning, conditioning, n * job.tiling.count());
    const auto on_block = conditioning.narrow(1, b.rows.begin - geo.reach.rows.begin, b.rows.size())
                              .narrow(2, b.cols.begin - geo.reach.cols.begin, b.cols.size());
    const auto baselines = torch::stack(  // baseline_names(sr) order
        {upsample(coarse, geo, Bicubic::Aligned, c.factor, wraps, geo.block_rows, geo.block_cols), on_block,
         upsample(coarse, geo, Bicubic::AlignCorners, c.factor, wraps, geo.block_rows, geo.block_cols)});
    const auto truth = lowres ? at::Tensor() : normalised(job, read_block(job.reader, n, job.channels, b));
    out.write_block(static_cast<long>(i), b, in_field_units(job, field.mean), in_field_units(job, field.members),
                    truth.defined() ? in_field_units(job, truth) : at::Tensor(), in_field_units(job, baselines));
    SrSnapshot s;
    s.snapshot = n;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto mean = field.mean.contiguous();
    const auto grown = decomp::fill_regions(d, mean.data_ptr<float>(), C,
                                            [&](int r) { return decomp::grown_block(d, r); });
    double seam = 0;
    const long per_plane = decomp::grown_block(d, d.rank()).count();
    for (long ch = 0; ch < C; ++ch) seam += decomp::seam_metric(d, grown.data() + ch * per_plane);
    s.seam = seam / static_cast<double>(C);
    if (truth.defined()) {
      s.rfne = score(field.mean, truth, d.comm()).rfne;
      s.rfne_bicubic_aligned = score(baselines[0], truth, d.comm()).rfne;
      s.rfne_conditioning = score(baselines[1], truth, d.comm()).rfne;
      s.rfne_bicubic_align_corners = score(baselines[2], truth, d.comm()).rfne;
    }
    log::Fields line{{"snapshot", double(n)}, {"s_per_field", s.seconds}, {"seam", s.seam}};
    if (truth.defined())
      for (const auto& [name, value] : scores()) line.push_back({name, s.*value});
    summary.fields.push_back(s);
    log::progress("infer", static_cast<long>(i + 1), line);
  }
  out.set_attribute("snapshots", std::vector<double>(job.snapshots.begin(), job.snapshots.end()));
  out.set_attribute("task", std::string("sr"));
  record_tiling(out, job.tiling);
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
