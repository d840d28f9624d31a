#include "summary.hpp"

#include <cmath>
#include <utility>

#include "flex/analysis/skill.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"

namespace flex::analysis {

const std::vector<std::string> kPairMetrics = {"rfne", "pcc", "mse", "psnr", "linf"};

namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> metric_columns_of(const AnalyzeConfig& config, bool seam) {
  std::vector<std::string> columns;
  for (const auto& m : kPairMetrics) {
    if (!config.wants(m)) continue;
    columns.push_back(m);
    if (m == "mse") columns.push_back("rmse");
  }
  if (config.wants("ssim")) columns.push_back("ssim");
  if (config.tiled()) columns.push_back("rfne_tiles");
  if (seam) columns.push_back("seam");
  return columns;
}

std::vector<std::string> metrics_header(const std::vector<std::string>& metric_columns) {
  std::vector<std::string> header = {"sample", "truth_snapshot", "prediction_snapshot", "channel"};
  header.insert(header.end(), metric_columns.begin(), metric_columns.end());
  header.push_back("source");
  return header;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / v.size();
}

const Series& no_series() {
  static const Series none;
  return none;
}

// Channel c's series of one source (the prediction, or a baseline by name).
const Series& series_of(const Results& r, long c, const std::string& source = kPredictionSource) {
  const std::map<long, Series>* channels = &r.per_channel;
  if (source != kPredictionSource) {
    const auto b = r.per_baseline.find(source);
    if (b == r.per_baseline.end()) return no_series();
    channels = &b->second;
  }
  const auto it = channels->find(c);
  return it == channels->end() ? no_series() : it->second;
}

// A metric's values over the samples (empty if never computed).
const std::vector<double>& values_of(const Series& s, const std::string& metric) {
  static const std::vector<double> none;
  const auto it = s.find(metric);
  return it == s.end() ? none : it->second;
}

double value_at(const std::vector<double>& v, size_t k) { return k < v.size() ? v[k] : std::nan(""); }

bool skill_asked(const AnalyzeConfig& config, const Inputs& in) { return config.wants("skill") && in.has_prediction(); }

// Sample j is rollout step j + 1. Each baseline's PCC and RFNE (persistence
// for a forecast) stand beside the prediction's: pcc_<name>, rfne_<name>.
CsvTable skill_table(const AnalyzeConfig& config, const Inputs& in, const Results& results) {
  std::vector<std::string> measures = {"pcc", "rfne"};
  if (config.tiled()) measures.push_back("rfne_tiles");
  std::vector<std::string> sources = {kPredictionSource}, columns = {"step", "channel"};
  sources.insert(sources.end(), in.baseline_names.begin(), in.baseline_names.end());
  for (const auto& source : sources)
    for (const auto& m : measures) columns.push_back(source == kPredictionSource ? m : m + "_" + source);
  CsvTable table(columns);
  if (!skill_asked(config, in)) return table;
  for (long c : in.analysed) {
    const size_t steps = values_of(series_of(results, c), "pcc").size();
    for (size_t k = 0; k < steps; ++k) {
      auto& row = table.row() << static_cast<long>(k + 1) << in.channels.names[c];
      for (const auto& source : sources)
        for (const auto& m : measures) row << value_at(values_of(series_of(results, c, source), m), k);
    }
  }
  return table;
}

// The pull histogram of each channel; its first and last rows count the pulls below and above the range.
CsvTable pull_table(const Inputs& in, const Results& results) {
  CsvTable table({"channel", "bin_lo", "bin_hi", "count"});
  for (long c : in.analysed) {
    const auto it = results.pulls.find(c);
    if (it == results.pulls.end()) continue;
    const PullHistogram& h = it->second;
    const std::string& name = in.channels.names[c];
    const double width = (h.hi - h.lo) / h.counts.size();
    table.row() << name << -INFINITY << h.lo << h.below;
    for (size_t b = 0; b < h.counts.size(); ++b)
      table.row() << name << h.lo + b * width << h.lo + (b + 1) * width << h.counts[b];
    table.row() << name << h.hi << INFINITY << h.above;
  }
  return table;
}

Json channel_summary(const AnalyzeConfig& config, const Inputs& in, const Series& series) {
  Json js = Json::object();
  for (const auto& [name, values] : series)  // means over samples, of what was asked for
    if (config.wants(name) || (name == "rmse" && config.wants("mse")) || name.rfind("ens_", 0) == 0 ||
        (name == "rfne_tiles" && config.tiled()) || name == "seam_truth")
      js[name] = mean_of(values);
  if (skill_asked(config, in)) {
    const auto& pcc = values_of(series, "pcc");
    js["skill_horizon"] = skill_horizon(pcc, config.skill_threshold);
    js["pcc_per_step"] = pcc;
  }
  return js;
}

}  // namespace

Results::Results(const AnalyzeConfig& config, bool seam)
    : metric_columns(metric_columns_of(config, seam)), metrics(metrics_header(metric_columns)) {}

void Results::add_pulls(long channel, const PullHistogram& histogram) {
  auto& h = pulls[channel];
  if (h.counts.empty()) {
    h = histogram;
    return;
  }
  for (size_t b = 0; b < h.counts.size(); ++b) h.counts[b] += histogram.counts[b];
  h.below += histogram.below, h.above += histogram.above;
}

Json summary(const AnalyzeConfig& config, const Inputs& in, const Results& results, int ranks) {
  Json s = Json::object();
  s["truth"] = in.truth.path();
  s["prediction"] = in.prediction       ? Json(in.prediction->path())
                    : in.ensemble.empty() ? Json()
                                          : Json("ensemble mean");
  s["ensemble_members"] = in.members;
  s["samples"] = in.count;
  s["ranks"] = ranks;
  s["normalise"] = config.normalise;
  s["protocol"] = config.protocol;
  if (config.tiled()) {
    s["tile"] = config.tile;
    s["tile_batch"] = config.tile_batch;
  }
  Json& per = s["channels"];
  per = Json::object();
  for (long c : in.analysed) per[in.channels.names[c]] = channel_summary(config, in, series_of(results, c));
  if (in.baselines) {
    Json& jb = s["baselines"];
    jb["file"] = in.baselines->path();
    Json& sources = jb["sources"];
    sources = Json::object();
    for (const auto& name : in.baseline_names) {
      Json& one = sources[name];
      one = Json::object();
      for (long c : in.analysed) one[in.channels.names[c]] = channel_summary(config, in, series_of(results, c, name));
    }
  }
  if (!results.continuity_error.empty()) {
    Json& jc = s["continuity_error"];
    for (const auto& [field, values] : results.continuity_error) jc[field] = mean_of(values);
  }
  if (config.wants("skill")) s["skill_threshold"] = config.skill_threshold;
  return s;
}

void write_outputs(const AnalyzeConfig& config, const Inputs& in, const Results& results, MPI_Comm comm) {
  int ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  // Rank 0 writes; on_root makes a failure every rank's error, so none waits in a collective.
  mpi::on_root(comm, [&] {
    const OutputFiles out = config.outputs();
    const CsvTable skill = skill_table(config, in, results), pull = pull_table(in, results);
    const std::vector<std::pair<std::string, const CsvTable*>> tables = {
        {out.metrics_csv, &results.metrics}, {out.spectra_csv, &results.spectra},
        {out.ensemble_csv, &results.ensemble}, {out.pull_csv, &pull},
        {out.skill_csv, &skill},              {out.continuity_csv, &results.continuity},
        {out.tiles_csv, &results.tiles}};
    Json document = summary(config, in, results, ranks);
    Json written = Json::array();
    output::StagedFiles files;  // all of them or none: no metrics table without its summary
    for (const auto& [path, table] : tables) {
      if (table->empty()) continue;
      files.add(path, table->text());
      written.push_back(path);
    }
    written.push_back(out.metrics_json);
    written.push_back(out.deck);
    document["outputs"] = written;
    files.add(out.metrics_json, json_text(document));
    files.add(out.deck, config.run.deck_text);
    files.commit();
    log::info("analyze: wrote ", out.metrics_json, " and the tables next to it");
  });
}

}  // namespace flex::analysis
