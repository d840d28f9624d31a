// The per-sample loop of `flex analyze`: each sample read as this rank's row
// slab of every channel, the kernels run on it, their results appended to the
// tables and series that summary.cpp writes out.
#include "flex/analysis/run.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "flex/analysis/ensemble.hpp"
#include "flex/analysis/metrics.hpp"
#include "flex/analysis/spectrum.hpp"
#include "flex/analysis/tiles.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "inputs.hpp"
#include "sample_reader.hpp"
#include "summary.hpp"

namespace flex::analysis {

namespace {

// What runs on every sample: the metrics asked for that the inputs allow.
struct Plan {
  bool continuity = false, spectrum = false, ensemble = false, seam = false;
};

Plan plan_of(const AnalyzeConfig& config, const Inputs& in) {
  const Channels& ch = in.channels;
  Plan p;
  p.continuity = config.wants("continuity") && ch.u >= 0 && ch.v >= 0;
  if (config.wants("continuity") && !p.continuity)
    log::warn(in.truth.path(), ": no u and v channels (set analyze.u_channel, analyze.v_channel); continuity skipped");
  if (config.wants("spectrum") && ch.w < 0 && (ch.u < 0 || ch.v < 0))
    log::warn(in.truth.path(), ": no vorticity or u, v channels (set analyze.*_channel); spectra skipped");
  if (config.wants("ensemble") && in.ensemble.empty())
    log::warn(config.run.deck_source, ": 'ensemble' asked for, but analyze.ensemble is empty");
  p.spectrum = config.wants("spectrum");
  p.ensemble = config.wants("ensemble") && !in.ensemble.empty();
  p.seam = in.stitching.has_value();
  if (config.wants("seam") && in.has_prediction() && !p.seam)
    log::info("analyze: no seam metric: the prediction names no stitching tiling (no patch attribute; set "
              "analyze.seam_patch and analyze.seam_halo)");
  return p;
}

// This rank's planes of one sample.
struct Sample {
  long index = 0, truth_snapshot = 0, prediction_snapshot = 0;
  Planes truth, prediction, members, baselines;
  std::map<long, OwnedPlane> ensemble_mean;  // per channel, made when first asked for
};

// What lasts over the samples: the reader, the spectrum's FFT plan, the results.
class Analysis {
 public:
  Analysis(const AnalyzeConfig& config, const Inputs& in, const Plan& plan, MPI_Comm comm, mpi::Range rows)
      : config_(config),
        in_(in),
        plan_(plan),
        comm_(comm),
        rows_(rows),
        reader_(comm, in.shape, rows.begin, rows.size()),
        results_(config, plan.seam) {
    if (plan.spectrum)
      spectra_ = std::make_unique<SpectrumEngine>(in.shape.h, in.shape.w, comm, SpectrumOptions{config.spectrum_axes});
    ssim_.window = config.ssim_window;
    ssim_.sigma = config.ssim_sigma;
  }

  void analyse(long j) {
    Sample s;
    s.index = j;
    s.truth_snapshot = config_.first + j * config_.stride;
    s.prediction_snapshot = config_.prediction_first + j * config_.stride;
    {
      FLEX_PROFILE("analyze::read");
      s.truth = reader_.read_all_channels(in_.truth, s.truth_snapshot);
      if (in_.prediction) s.prediction = reader_.read_all_channels(*in_.prediction, s.prediction_snapshot);
      if (in_.baselines) s.baselines = reader_.read_all_channels(*in_.baselines, s.prediction_snapshot);
      if (!in_.ensemble.empty())
        s.members = reader_.read_members(in_.ensemble, in_.packed, s.prediction_snapshot, in_.members);
    }
    log::Fields progress;
    for (long c : in_.analysed) channel(s, c, progress);
    if (plan_.continuity) continuity(s);
    if (plan_.spectrum) spectra(s);
    log::progress("analyze", j, progress);
  }

  const Results& results() const { return results_; }

 private:
  // Channel c of the prediction file, else of the ensemble mean.
  SlabView predicted(Sample& s, long c) {
    if (in_.prediction) return s.prediction.slab(c);
    auto it = s.ensemble_mean.find(c);
    if (it == s.ensemble_mean.end()) it = s.ensemble_mean.emplace(c, ensemble_mean(s.members.members(c))).first;
    return SlabView{it->second, rows_.begin, in_.shape.h, comm_};
  }

  // Channel c of baseline b (the file is baseline-major, open_baselines).
  SlabView baseline_slab(Sample& s, size_t b, long c) const {
    return s.baselines.slab(static_cast<long>(b) * in_.shape.c + c);
  }

  // The map analyze.normalise applies to both fields before a metric.
  Affine normalisation(const Sample& s, long c, const SlabView& truth) const {
    if (config_.normalise == "sample") {
      const Moments m = moments(truth);
      FLEX_REQUIRE(m.std > 0, in_.truth.path() << ": snapshot " << s.truth_snapshot << " channel "
                                               << in_.channels.names[c]
                                               << " is constant; analyze.normalise = sample cannot z-score it");
      return {1.0 / m.std, -m.mean / m.std};
    }
    if (config_.normalise == "given") {
      const double sd = config_.given_std[c];
      return {1.0 / sd, -config_.given_mean[c] / sd};
    }
    return {};
  }

  // Point-wise and ensemble metrics of channel c.
  void channel(Sample& s, long c, log::Fields& progress) {
    FLEX_PROFILE("analyze::metrics");
    const std::string& name = in_.channels.names[c];
    const SlabView ts = s.truth.slab(c);
    const Affine a = normalisation(s, c, ts);
    auto& acc = results_.per_channel[c];
    const bool scored = results_.has_metric_columns() || config_.wants("skill");
    if (in_.has_prediction() && scored) {
      const long snapshot = in_.prediction ? s.prediction_snapshot : -1L;
      const auto values = compare(s, c, kPredictionSource, snapshot, ts, predicted(s, c), a);
      for (const auto& [metric, v] : values) acc[metric].push_back(v);
      if (config_.wants("pcc") || config_.wants("skill")) progress.push_back({"pcc_" + name, values.at("pcc")});
      if (config_.wants("rfne")) progress.push_back({"rfne_" + name, values.at("rfne")});
      // The truth was never tiled: its value at the same lines is the metric's floor for this field.
      if (plan_.seam) {
        acc["seam_truth"].push_back(seam_metric(ts, *in_.stitching));
        progress.push_back({"seam_" + name, values.at("seam")});
      }
    }
    if (in_.baselines && scored)
      for (size_t b = 0; b < in_.baseline_names.size(); ++b) {
        const std::string& source = in_.baseline_names[b];
        const auto values = compare(s, c, source, s.prediction_snapshot, ts, baseline_slab(s, b, c), a);
        for (const auto& [metric, v] : values) results_.per_baseline[source][c][metric].push_back(v);
      }
    if (plan_.ensemble) {
      FLEX_PROFILE("analyze::ensemble");
      const EnsembleStats e = ensemble_statistics(ts, s.members.members(c), a, config_.pull_bins, config_.pull_range);
      results_.ensemble.row() << s.index << name << e.members << e.rmse << e.spread << e.ssr << e.crps << e.pull_mean
                              << e.pull_std;
      for (const auto& [metric, v] : std::map<std::string, double>{{"ens_rmse", e.rmse}, {"ens_spread", e.spread},
                                                                   {"ens_ssr", e.ssr},   {"ens_crps", e.crps},
                                                                   {"ens_pull_std", e.pull_std}})
        acc[metric].push_back(v);
      results_.add_pulls(c, e.pull);
      progress.push_back({"crps_" + name, e.crps});
    }
  }

  // The point-wise metrics of one source (the prediction or a baseline) of
  // channel c against the truth, and its rows of the metrics and tiles tables.
  std::map<std::string, double> compare(const Sample& s, long c, const std::string& source, long snapshot,
                                        const SlabView& ts, const SlabView& ps, Affine a) {
    const PairMetrics m = pair_metrics(ts, ps, a);
    std::map<std::string, double> values = {{"rfne", m.rfne}, {"pcc", m.pcc},   {"mse", m.mse},
                                            {"rmse", m.rmse}, {"psnr", m.psnr}, {"linf", m.linf}};
    if (config_.wants("ssim")) values["ssim"] = ssim(ts, ps, a, ssim_);
    if (config_.tiled()) values["rfne_tiles"] = tiled(s, c, source, ts, ps, a);
    if (plan_.seam) values["seam"] = seam_metric(ps, *in_.stitching);
    if (results_.has_metric_columns()) {
      auto& row = results_.metrics.row() << s.index << s.truth_snapshot << snapshot << in_.channels.names[c];
      for (const auto& column : results_.metric_columns) row << values.at(column);
      row << source;
    }
    return values;
  }

  // The tiles protocol: every tile's norms into the tiles table, the mean batch RFNE back.
  double tiled(const Sample& s, long c, const std::string& source, const SlabView& ts, const SlabView& ps, Affine a) {
    FLEX_PROFILE("analyze::tiles");
    const std::vector<TileNorms> tiles = tile_norms(ts, ps, config_.tile, a);
    for (size_t k = 0; k < tiles.size(); ++k) {
      const TileNorms& t = tiles[k];
      results_.tiles.row() << source << s.index << in_.channels.names[c] << t.row << t.col
                           << static_cast<long>(k) / config_.tile_batch << std::sqrt(t.error2) << std::sqrt(t.truth2)
                           << t.rfne();
    }
    return tiled_rfne(tiles, config_.tile_batch);
  }

  // mean((du/dx + dv/dy)^2) of the truth and the prediction, on the physical fields.
  void continuity(Sample& s) {
    FLEX_PROFILE("analyze::continuity");
    const Channels& ch = in_.channels;
    const double dx = config_.domain_length / in_.shape.h, dy = config_.domain_length / in_.shape.w;
    const double et = continuity_error(s.truth.slab(ch.u), s.truth.slab(ch.v), dx, dy);
    results_.continuity.row() << s.index << "truth" << et;
    results_.continuity_error["truth"].push_back(et);
    if (in_.has_prediction()) {
      const double ep = continuity_error(predicted(s, ch.u), predicted(s, ch.v), dx, dy);
      results_.continuity.row() << s.index << "prediction" << ep;
      results_.continuity_error["prediction"].push_back(ep);
    }
  }

  void spectra(Sample& s) {
    FLEX_PROFILE("analyze::spectrum");
    const Channels& ch = in_.channels;
    auto add = [&](const char* field, const char* kind, const Spectrum& e) {
      for (size_t k = 0; k < e.k.size(); ++k)
        results_.spectra.row() << s.index << field << kind << static_cast<long>(e.k[k]) << e.modes[k] << e.energy[k];
    };
    // Baselines beside the prediction: where a bicubic's spectrum falls below the truth's is what SR must restore.
    if (ch.w >= 0) {
      add("truth", "vorticity", spectra_->vorticity(s.truth.slab(ch.w)));
      if (in_.has_prediction()) add("prediction", "vorticity", spectra_->vorticity(predicted(s, ch.w)));
      // A sample's small scales, which the ensemble mean averages away (its spectrum falls at high k).
      if (!in_.ensemble.empty()) add("members", "vorticity", mean_member_vorticity(s.members.members(ch.w)));
      if (in_.baselines)
        for (size_t b = 0; b < in_.baseline_names.size(); ++b)
          add(in_.baseline_names[b].c_str(), "vorticity", spectra_->vorticity(baseline_slab(s, b, ch.w)));
    }
    if (ch.u >= 0 && ch.v >= 0) {
      add("truth", "velocity", spectra_->velocity(s.truth.slab(ch.u), s.truth.slab(ch.v)));
      if (in_.has_prediction())
        add("prediction", "velocity", spectra_->velocity(predicted(s, ch.u), predicted(s, ch.v)));
      if (in_.baselines)
        for (size_t b = 0; b < in_.baseline_names.size(); ++b)
          add(in_.baseline_names[b].c_str(), "velocity", spectra_->velocity(baseline_slab(s, b, ch.u), baseline_slab(s, b, ch.v)));
    }
  }

  // E[k] of each member, averaged over the members (power and energy).
  Spectrum mean_member_vorticity(const StackSlab& m) {
    Spectrum mean;
    const long plane = m.rows() * m.cols();
    for (long i = 0; i < m.members(); ++i) {
      const SlabView one{wrap_plane(m.local.data() + i * plane, m.rows(), m.cols()), m.row0, m.global_rows, m.comm};
      const Spectrum e = spectra_->vorticity(one);
      if (i == 0) {
        mean = e;
        continue;
      }
      for (size_t k = 0; k < e.k.size(); ++k) mean.energy[k] += e.energy[k], mean.power[k] += e.power[k];
      mean.total_power += e.total_power;
    }
    const double members = static_cast<double>(std::max(m.members(), 1L));
    for (size_t k = 0; k < mean.k.size(); ++k) mean.energy[k] /= members, mean.power[k] /= members;
    mean.total_power /= members;
    return mean;
  }

  const AnalyzeConfig& config_;
  const Inputs& in_;
  const Plan plan_;
  const MPI_Comm comm_;
  const mpi::Range rows_;
  const SampleReader reader_;
  std::unique_ptr<SpectrumEngine> spectra_;
  SsimOptions ssim_;
  Results results_;
};

}  // namespace

int run(const AnalyzeConfig& config, MPI_Comm comm) {
  FLEX_PROFILE("analyze");
  int rank = 0, ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  // Fail on an existing file before any work, the input scans included.
  mpi::on_root(comm, [&] {
    for (const auto& path : config.outputs().all()) output::ensure_writable(path, config.run.overwrite);
  });
  const Inputs in = open_inputs(config, comm);
  const Plan plan = plan_of(config, in);

  const io::FieldShape& shape = in.shape;
  log::info("analyze: ", in.count, " sample(s) of ", in.truth.path(), " [", shape.n, ", ", shape.c, ", ", shape.h,
            ", ", shape.w, "]", in.prediction ? " vs " + in.prediction->path() : std::string(),
            in.ensemble.empty() ? std::string() : ", ensemble of " + std::to_string(in.members),
            in.baselines ? ", " + std::to_string(in.baseline_names.size()) + " baseline(s) of " + in.baselines->path()
                         : std::string(),
            config.tiled() ? ", " + std::to_string(config.tile) + "^2 tiles" : std::string(), " on ", ranks,
            " rank(s)");

  Analysis analysis(config, in, plan, comm, mpi::share(shape.h, rank, ranks));
  for (long j = 0; j < in.count; ++j) analysis.analyse(j);
  write_outputs(config, in, analysis.results(), comm);
  return 0;
}

}  // namespace flex::analysis
