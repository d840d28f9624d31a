#include "summary.hpp"

#include <cmath>
#include <utility>

#include "flex/analysis/skill.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"

namespace flex::analysis {

const std::vector<std::string> kPairMetrics = {"rfne", "pcc", "mse", "psnr", "linf"};

namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> metric_columns_of(const AnalyzeConfig& config) {
  std::vector<std::string> columns = {"sample", "truth_snapshot", "prediction_snapshot", "channel"};
  for (const auto& m : kPairMetrics) {
    if (!config.wants(m)) continue;
    columns.push_back(m);
    if (m == "mse") columns.push_back("rmse");
  }
  if (config.wants("ssim")) columns.push_back("ssim");
  return columns;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / v.size();
}

// Channel c's series of `metric` over the samples (empty if never computed).
const std::vector<double>& series(const Results& r, long c, const std::string& metric) {
  static const std::vector<double> none;
  const auto channel = r.per_channel.find(c);
  if (channel == r.per_channel.end()) return none;
  const auto it = channel->second.find(metric);
  return it == channel->second.end() ? none : it->second;
}

bool skill_asked(const AnalyzeConfig& config, const Inputs& in) { return config.wants("skill") && in.has_prediction(); }

// Sample j is rollout step j + 1.
CsvTable skill_table(const AnalyzeConfig& config, const Inputs& in, const Results& results) {
  CsvTable table({"step", "channel", "pcc", "rfne"});
  if (!skill_asked(config, in)) return table;
  for (long c : in.analysed) {
    const auto& pcc = series(results, c, "pcc");
    const auto& rfne = series(results, c, "rfne");
    for (size_t k = 0; k < pcc.size(); ++k)
      table.row() << static_cast<long>(k + 1) << in.channels.names[c] << pcc[k] << rfne[k];
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

Json channel_summary(const AnalyzeConfig& config, const Inputs& in, const Results& results, long c) {
  Json js = Json::object();
  const auto channel = results.per_channel.find(c);
  if (channel != results.per_channel.end())
    for (const auto& [name, values] : channel->second)  // means over samples, of what was asked for
      if (config.wants(name) || (name == "rmse" && config.wants("mse")) || name.rfind("ens_", 0) == 0)
        js[name] = mean_of(values);
  if (skill_asked(config, in)) {
    const auto& pcc = series(results, c, "pcc");
    js["skill_horizon"] = skill_horizon(pcc, config.skill_threshold);
    js["pcc_per_step"] = pcc;
  }
  return js;
}

}  // namespace

Results::Results(const AnalyzeConfig& config) : metric_columns(metric_columns_of(config)), metrics(metric_columns) {}

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
  Json& per = s["channels"];
  per = Json::object();
  for (long c : in.analysed) per[in.channels.names[c]] = channel_summary(config, in, results, c);
  if (!results.continuity_error.empty()) {
    Json& jc = s["continuity_error"];
    for (const auto& [field, values] : results.continuity_error) jc[field] = mean_of(values);
  }
  if (config.wants("skill")) s["skill_threshold"] = config.skill_threshold;
  return s;
}

void write_outputs(const AnalyzeConfig& config, const Inputs& in, const Results& results, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  if (rank == 0) {
    const OutputFiles out = config.outputs();
    const CsvTable skill = skill_table(config, in, results), pull = pull_table(in, results);
    const std::vector<std::pair<std::string, const CsvTable*>> tables = {
        {out.metrics_csv, &results.metrics}, {out.spectra_csv, &results.spectra},
        {out.ensemble_csv, &results.ensemble}, {out.pull_csv, &pull},
        {out.skill_csv, &skill},              {out.continuity_csv, &results.continuity}};
    Json document = summary(config, in, results, ranks);
    Json written = Json::array();
    for (const auto& [path, table] : tables) {
      if (table->empty()) continue;
      output::write_text_atomic(path, table->text());
      written.push_back(path);
    }
    written.push_back(out.metrics_json);
    written.push_back(out.deck);
    document["outputs"] = written;
    output::write_text_atomic(out.metrics_json, json_text(document));
    output::write_text_atomic(out.deck, config.run.deck_text);
    log::info("analyze: wrote ", out.metrics_json, " and the tables next to it");
  }
  FLEX_CHECK_MPI(MPI_Barrier(comm));
}

}  // namespace flex::analysis
