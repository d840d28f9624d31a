// `flex analyze`: reads truth, prediction and ensemble files one sample at a
// time (each rank its row slab of every channel), runs the analysis kernels,
// and writes metrics (CSV, JSON), spectra, ensemble and skill tables.
#include "flex/analysis/command.hpp"

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "flex/analysis/ensemble.hpp"
#include "flex/analysis/metrics.hpp"
#include "flex/analysis/skill.hpp"
#include "flex/analysis/spectrum.hpp"
#include "flex/app/command.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/profiler.hpp"
#include "flex/io/fields.hpp"
#include "report.hpp"
#include "sample_reader.hpp"

namespace flex {

namespace {

const std::vector<std::string> kMetrics = {"rfne", "pcc",        "mse",      "psnr",     "ssim",
                                           "linf", "continuity", "spectrum", "ensemble", "skill"};
const std::vector<std::string> kPairMetrics = {"rfne", "pcc", "mse", "psnr", "linf"};

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  std::istringstream in(text);
  while (std::getline(in, word, ',')) {
    const auto b = word.find_first_not_of(" \t"), e = word.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(word.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

void declare_analyze_keys(DeckSchema& s) {
  s.add_path("analyze.truth", "", "reference field file (HDF5 `fields` [N,C,H,W] or `w` [T,H,W]); required");
  s.add_string("analyze.truth_dataset", "", "dataset in the truth file (empty: `fields`, else `w`)");
  s.add_path("analyze.prediction", "",
             "predicted field file, same C, H, W as the truth (empty: the ensemble mean if an ensemble is given, "
             "else only the truth's spectra)");
  s.add_string("analyze.prediction_dataset", "", "dataset in the prediction file (empty: `fields`, else `w`)");
  s.add_string("analyze.ensemble", "",
               "ensemble member files, comma-separated, one member per file; or one file holding "
               "analyze.ensemble_members members per sample");
  s.add_string("analyze.ensemble_dataset", "", "dataset in the ensemble file(s) (empty: `fields`, else `w`)");
  s.add_int("analyze.ensemble_members", 0,
            "members per sample when analyze.ensemble is one file: snapshot s*K + m is member m of sample s "
            "(0: one member per file)")
      .range(0, {});
  s.add_int("analyze.first", 0, "first truth snapshot analysed").range(0, {});
  s.add_int("analyze.prediction_first", 0, "prediction/ensemble sample matching the first truth snapshot")
      .range(0, {});
  s.add_int("analyze.count", 0, "samples analysed (0: as many as all files hold)").range(0, {});
  s.add_int("analyze.stride", 1, "snapshot step between samples, in the truth and the prediction alike")
      .range(1, {});
  s.add_ints("analyze.channels", "", "channels given point-wise and ensemble metrics (empty: all)").range(0, {});
  s.add_int("analyze.u_channel", -1, "channel of u (-1: from the file's channel names, or 0 for 3 channels)")
      .range(-1, {});
  s.add_int("analyze.v_channel", -1, "channel of v (-1: from the file's channel names, or 1 for 3 channels)")
      .range(-1, {});
  s.add_int("analyze.vorticity_channel", -1,
            "channel of the vorticity (-1: from the file's channel names, or 2 for 3 channels, 0 for 1)")
      .range(-1, {});
  s.add_string("analyze.metrics", "rfne,pcc,mse,psnr,ssim,linf,continuity,spectrum,ensemble,skill",
               "what to compute, comma-separated: rfne, pcc, mse, psnr, ssim, linf, continuity, spectrum, "
               "ensemble, skill");
  s.add_choice("analyze.normalise", "sample", {"none", "sample", "given"},
               "map fields before point-wise and ensemble metrics: none; sample (z-score both with the truth "
               "sample's mean/std, SuperBench); given (analyze.mean / analyze.std per channel)");
  s.add_reals("analyze.mean", "", "per-channel means for analyze.normalise = given");
  s.add_reals("analyze.std", "", "per-channel stds for analyze.normalise = given").range(0, {});
  s.add_real("analyze.domain_length", 2 * M_PI, "periodic box side L (grid spacing L/H, L/W) for the continuity error")
      .range(0, {});
  s.add_bool("analyze.spectrum_axes", false,
             "count the kx = 0 and ky = 0 modes in the spectrum shells (San & Pawar leave them out)");
  s.add_int("analyze.ssim_window", 11, "SSIM Gaussian window size (odd)").range(3, {});
  s.add_real("analyze.ssim_sigma", 1.5, "SSIM Gaussian window standard deviation, pixels").range(0, {});
  s.add_real("analyze.skill_threshold", 0.95, "PCC above which a rollout step counts as skilful").range(-1, 1);
  s.add_int("analyze.pull_bins", 40, "bins of the pull histogram").range(1, 100000);
  s.add_real("analyze.pull_range", 5.0, "pull histogram spans [-range, range]").range(0, {});
  s.add_string("analyze.prefix", "analysis", "output file stem under run.output_dir: <prefix>_metrics.csv, ...");
}

namespace {

using namespace analysis;

struct Channels {
  std::vector<std::string> names;
  long u = -1, v = -1, w = -1;
};

Channels resolve_channels(const Deck& deck, const io::FieldReader& truth) {
  const long c = truth.shape().c;
  Channels ch;
  if (truth.has_attribute("channels")) ch.names = split_words(truth.attribute_string("channels"));
  if (static_cast<long>(ch.names.size()) != c) {
    ch.names.clear();
    if (c == 3) ch.names = {"u", "v", "w"};  // SuperBench NSKT layout
    if (c == 1) ch.names = {"w"};
    for (long i = 0; i < c && c != 3 && c != 1; ++i) ch.names.push_back("c" + std::to_string(i));
  }
  auto named = [&](std::initializer_list<const char*> options) -> long {
    for (long i = 0; i < c; ++i)
      for (const char* o : options)
        if (ch.names[i] == o) return i;
    return -1;
  };
  auto pick = [&](const char* key, long found) {
    const long v = deck.get_int(key);
    FLEX_REQUIRE(v < c, deck.source() << ": key '" << key << "' = " << v << ", but " << truth.path() << " has "
                                      << c << " channels");
    return v >= 0 ? v : found;
  };
  ch.u = pick("analyze.u_channel", named({"u"}));
  ch.v = pick("analyze.v_channel", named({"v"}));
  ch.w = pick("analyze.vorticity_channel", named({"w", "omega", "vorticity"}));
  return ch;
}

void require_same_plane(const io::FieldReader& a, const io::FieldReader& b) {
  const auto s = a.shape(), t = b.shape();
  FLEX_REQUIRE(s.c == t.c && s.h == t.h && s.w == t.w,
               b.path() << ": fields [" << t.n << ", " << t.c << ", " << t.h << ", " << t.w << "] do not match the truth "
                        << a.path() << " [" << s.n << ", " << s.c << ", " << s.h << ", " << s.w << "] in C, H, W");
}

struct Outputs {
  std::string metrics_csv, metrics_json, spectra_csv, ensemble_csv, pull_csv, skill_csv, continuity_csv, deck;
};

Outputs output_paths(const Deck& deck) {
  const std::string stem = deck.get_string("run.output_dir") + "/" + deck.get_string("analyze.prefix");
  return {stem + "_metrics.csv", stem + "_metrics.json", stem + "_spectra.csv",    stem + "_ensemble.csv",
          stem + "_pull.csv",    stem + "_skill.csv",    stem + "_continuity.csv", stem + ".deck"};
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / v.size();
}

}  // namespace

int run_analyze(const RunContext& ctx) {
  FLEX_PROFILE("analyze");
  const Deck& deck = ctx.deck;
  const MPI_Comm comm = ctx.env.comm();
  const std::string src = deck.source();

  // --- what to compute ---------------------------------------------------------
  std::set<std::string> want;
  for (const auto& m : split_words(deck.get_string("analyze.metrics"))) {
    bool known = false;
    for (const auto& k : kMetrics) known = known || k == m;
    FLEX_REQUIRE(known, src << ": key 'analyze.metrics' names '" << m << "'; allowed: rfne, pcc, mse, psnr, ssim, "
                               "linf, continuity, spectrum, ensemble, skill");
    want.insert(m);
  }
  auto wants = [&](const std::string& m) { return want.count(m) > 0; };

  // --- inputs --------------------------------------------------------------------
  const std::string truth_path = deck.get_string("analyze.truth");
  FLEX_REQUIRE(!truth_path.empty(), src << ": key 'analyze.truth' is required (the reference field file)");
  io::FieldReader truth(truth_path, comm, deck.get_string("analyze.truth_dataset"));
  const io::FieldShape shape = truth.shape();
  const Channels ch = resolve_channels(deck, truth);

  std::unique_ptr<io::FieldReader> prediction;
  if (!deck.get_string("analyze.prediction").empty()) {
    prediction = std::make_unique<io::FieldReader>(deck.get_string("analyze.prediction"), comm,
                                                   deck.get_string("analyze.prediction_dataset"));
    require_same_plane(truth, *prediction);
  }
  std::vector<io::FieldReader> ensemble;
  for (const auto& path : split_words(deck.get_string("analyze.ensemble"))) {
    ensemble.emplace_back(path, comm, deck.get_string("analyze.ensemble_dataset"));
    require_same_plane(truth, ensemble.back());
  }
  const long packed = deck.get_int("analyze.ensemble_members");
  FLEX_REQUIRE(packed == 0 || ensemble.size() == 1,
               src << ": key 'analyze.ensemble_members' = " << packed << " needs exactly one file in analyze.ensemble");
  const long members = packed > 0 ? packed : static_cast<long>(ensemble.size());
  FLEX_REQUIRE(ensemble.empty() || members >= 2,
               src << ": key 'analyze.ensemble' gives " << members << " member(s); ensemble statistics need at least 2");
  const bool has_prediction = prediction || !ensemble.empty();

  // --- samples -------------------------------------------------------------------
  const long first = deck.get_int("analyze.first"), pfirst = deck.get_int("analyze.prediction_first");
  const long stride = deck.get_int("analyze.stride");
  FLEX_REQUIRE(first < shape.n, src << ": key 'analyze.first' = " << first << ", but " << truth_path << " holds "
                                    << shape.n << " snapshots");
  long available = (shape.n - first + stride - 1) / stride;
  auto limit = [&](long n_samples_in_file, const std::string& path) {
    FLEX_REQUIRE(pfirst < n_samples_in_file, src << ": key 'analyze.prediction_first' = " << pfirst << ", but "
                                                 << path << " holds " << n_samples_in_file << " samples");
    available = std::min(available, (n_samples_in_file - pfirst + stride - 1) / stride);
  };
  if (prediction) limit(prediction->shape().n, prediction->path());
  for (const auto& e : ensemble) limit(packed > 0 ? e.shape().n / packed : e.shape().n, e.path());
  long count = deck.get_int("analyze.count");
  FLEX_REQUIRE(count <= available, src << ": key 'analyze.count' = " << count << ", but the files hold only "
                                       << available << " samples from analyze.first with this stride");
  if (count == 0) count = available;

  std::vector<long> channels = deck.get_ints("analyze.channels");
  if (channels.empty())
    for (long c = 0; c < shape.c; ++c) channels.push_back(c);
  for (long c : channels)
    FLEX_REQUIRE(c < shape.c, src << ": key 'analyze.channels' names channel " << c << ", but " << truth_path
                                  << " has " << shape.c);

  // --- normalisation -------------------------------------------------------------
  const std::string normalise = deck.get_string("analyze.normalise");
  const auto given_mean = deck.get_reals("analyze.mean"), given_std = deck.get_reals("analyze.std");
  if (normalise == "given") {
    FLEX_REQUIRE(static_cast<long>(given_mean.size()) == shape.c && static_cast<long>(given_std.size()) == shape.c,
                 src << ": analyze.normalise = given needs analyze.mean and analyze.std with one value per channel ("
                     << shape.c << ")");
    for (double s : given_std) FLEX_REQUIRE(s > 0, src << ": key 'analyze.std' must be positive");
  }

  SsimOptions ssim_options;
  ssim_options.window = static_cast<int>(deck.get_int("analyze.ssim_window"));
  ssim_options.sigma = deck.get_real("analyze.ssim_sigma");
  FLEX_REQUIRE(ssim_options.window % 2 == 1, src << ": key 'analyze.ssim_window' must be odd");
  FLEX_REQUIRE(!wants("ssim") || !has_prediction || (shape.h > ssim_options.window && shape.w > ssim_options.window),
               truth_path << ": a " << shape.h << "x" << shape.w << " field is too small for the "
                          << ssim_options.window << "x" << ssim_options.window << " SSIM window");
  const bool do_continuity = wants("continuity") && ch.u >= 0 && ch.v >= 0;
  if (wants("continuity") && !do_continuity)
    log::warn(truth_path, ": no u and v channels (set analyze.u_channel, analyze.v_channel); continuity skipped");
  if (wants("spectrum") && ch.w < 0 && (ch.u < 0 || ch.v < 0))
    log::warn(truth_path, ": no vorticity or u, v channels (set analyze.*_channel); spectra skipped");
  if (wants("ensemble") && ensemble.empty()) log::warn(src, ": 'ensemble' asked for, but analyze.ensemble is empty");
  const bool do_spectrum = wants("spectrum");
  const bool do_ensemble = wants("ensemble") && !ensemble.empty();

  // --- outputs: fail on an existing file before any work -------------------------
  const Outputs out = output_paths(deck);
  const bool overwrite = deck.get_bool("run.overwrite");
  for (const auto& p : {out.metrics_csv, out.metrics_json, out.spectra_csv, out.ensemble_csv, out.pull_csv,
                        out.skill_csv, out.continuity_csv, out.deck})
    output::ensure_writable(p, overwrite);

  log::info("analyze: ", count, " sample(s) of ", truth_path, " [", shape.n, ", ", shape.c, ", ", shape.h, ", ",
            shape.w, "]", prediction ? " vs " + prediction->path() : std::string(),
            ensemble.empty() ? std::string() : ", ensemble of " + std::to_string(members), " on ", ctx.env.size(),
            " rank(s)");

  // --- per-sample analysis ---------------------------------------------------------
  const auto rows = comm::share(shape.h, ctx.env.rank(), ctx.env.size());
  const SampleReader reader(comm, shape, rows.begin, rows.size());
  std::unique_ptr<SpectrumEngine> spectra;
  if (do_spectrum) spectra = std::make_unique<SpectrumEngine>(shape.h, shape.w, comm,
                                                              SpectrumOptions{deck.get_bool("analyze.spectrum_axes")});
  const double dx = deck.get_real("analyze.domain_length") / shape.h;
  const double dy = deck.get_real("analyze.domain_length") / shape.w;

  std::vector<std::string> metric_columns = {"sample", "truth_snapshot", "prediction_snapshot", "channel"};
  for (const auto& m : kPairMetrics) {
    if (!wants(m)) continue;
    metric_columns.push_back(m);
    if (m == "mse") metric_columns.push_back("rmse");
  }
  if (wants("ssim")) metric_columns.push_back("ssim");
  CsvTable metric_table(metric_columns);
  CsvTable spectrum_table({"sample", "field", "kind", "k", "modes", "energy"});
  CsvTable ensemble_table({"sample", "channel", "members", "rmse", "spread", "ssr", "crps", "pull_mean", "pull_std"});
  CsvTable continuity_table({"sample", "field", "continuity_error"});
  std::map<long, std::map<std::string, std::vector<double>>> per_channel;  // channel -> metric -> per sample
  std::map<long, PullHistogram> pulls;
  std::map<std::string, std::vector<double>> continuity;

  for (long j = 0; j < count; ++j) {
    const long tsnap = first + j * stride, psnap = pfirst + j * stride;
    Planes t, p, e;
    {
      FLEX_PROFILE("analyze::read");
      t = reader.read_all_channels(truth, tsnap);
      if (prediction) p = reader.read_all_channels(*prediction, psnap);
      if (!ensemble.empty()) e = reader.read_members(ensemble, packed, psnap, members);
    }
    // Prediction planes: from the prediction file, else the ensemble mean.
    std::map<long, OwnedPlane> ens_mean;
    auto pred = [&](long c) -> Slab {
      if (prediction) return p.slab(c);
      auto it = ens_mean.find(c);
      if (it == ens_mean.end()) it = ens_mean.emplace(c, ensemble_mean(e.members(c))).first;
      return Slab{it->second, rows.begin, shape.h, comm};
    };

    log::Fields progress;
    for (long c : channels) {
      FLEX_PROFILE("analyze::metrics");
      const Slab ts = t.slab(c);
      Affine a;
      if (normalise == "sample") {
        const Moments m = moments(ts);
        FLEX_REQUIRE(m.std > 0, truth_path << ": snapshot " << tsnap << " channel " << ch.names[c]
                                           << " is constant; analyze.normalise = sample cannot z-score it");
        a = {1.0 / m.std, -m.mean / m.std};
      } else if (normalise == "given") {
        a = {1.0 / given_std[c], -given_mean[c] / given_std[c]};
      }
      auto& acc = per_channel[c];
      if (has_prediction && (metric_columns.size() > 4 || wants("skill"))) {
        const Slab ps = pred(c);
        const PairMetrics m = pair_metrics(ts, ps, a);
        std::map<std::string, double> values = {{"rfne", m.rfne}, {"pcc", m.pcc},   {"mse", m.mse},
                                                {"rmse", m.rmse}, {"psnr", m.psnr}, {"linf", m.linf}};
        if (wants("ssim")) values["ssim"] = ssim(ts, ps, a, ssim_options);
        if (metric_columns.size() > 4) {
          auto& row = metric_table.row() << j << tsnap << (prediction ? psnap : -1L) << ch.names[c];
          for (size_t k = 4; k < metric_columns.size(); ++k) row << values.at(metric_columns[k]);
        }
        for (const auto& [name, v] : values) acc[name].push_back(v);
        if (wants("pcc") || wants("skill")) progress.push_back({"pcc_" + ch.names[c], m.pcc});
        if (wants("rfne")) progress.push_back({"rfne_" + ch.names[c], m.rfne});
      }
      if (do_ensemble) {
        FLEX_PROFILE("analyze::ensemble");
        const EnsembleStats s = ensemble_statistics(ts, e.members(c), a, static_cast<int>(deck.get_int("analyze.pull_bins")),
                                                    deck.get_real("analyze.pull_range"));
        ensemble_table.row() << j << ch.names[c] << s.members << s.rmse << s.spread << s.ssr << s.crps << s.pull_mean
                             << s.pull_std;
        for (const auto& [name, v] : std::map<std::string, double>{{"ens_rmse", s.rmse},     {"ens_spread", s.spread},
                                                                   {"ens_ssr", s.ssr},       {"ens_crps", s.crps},
                                                                   {"ens_pull_std", s.pull_std}})
          acc[name].push_back(v);
        auto& h = pulls[c];
        if (h.counts.empty()) h = s.pull;
        else {
          for (size_t b = 0; b < h.counts.size(); ++b) h.counts[b] += s.pull.counts[b];
          h.below += s.pull.below, h.above += s.pull.above;
        }
        progress.push_back({"crps_" + ch.names[c], s.crps});
      }
    }
    if (do_continuity) {
      FLEX_PROFILE("analyze::continuity");
      const double et = continuity_error(t.slab(ch.u), t.slab(ch.v), dx, dy);
      continuity_table.row() << j << "truth" << et;
      continuity["truth"].push_back(et);
      if (has_prediction) {
        const double ep = continuity_error(pred(ch.u), pred(ch.v), dx, dy);
        continuity_table.row() << j << "prediction" << ep;
        continuity["prediction"].push_back(ep);
      }
    }
    if (do_spectrum) {
      FLEX_PROFILE("analyze::spectrum");
      auto add = [&](const char* field, const char* kind, const Spectrum& s) {
        for (size_t k = 0; k < s.k.size(); ++k)
          spectrum_table.row() << j << field << kind << static_cast<long>(s.k[k]) << s.modes[k] << s.energy[k];
      };
      if (ch.w >= 0) {
        add("truth", "vorticity", spectra->vorticity(t.slab(ch.w)));
        if (has_prediction) add("prediction", "vorticity", spectra->vorticity(pred(ch.w)));
      }
      if (ch.u >= 0 && ch.v >= 0) {
        add("truth", "velocity", spectra->velocity(t.slab(ch.u), t.slab(ch.v)));
        if (has_prediction) add("prediction", "velocity", spectra->velocity(pred(ch.u), pred(ch.v)));
      }
    }
    log::progress("analyze", j, progress);
  }

  // --- summaries -------------------------------------------------------------------
  const double threshold = deck.get_real("analyze.skill_threshold");
  Json summary = Json::object();
  summary["truth"] = truth_path;
  summary["prediction"] = prediction ? Json(prediction->path()) : (ensemble.empty() ? Json() : Json("ensemble mean"));
  summary["ensemble_members"] = members;
  summary["samples"] = count;
  summary["ranks"] = ctx.env.size();
  summary["normalise"] = normalise;
  CsvTable skill_table({"step", "channel", "pcc", "rfne"});
  CsvTable pull_table({"channel", "bin_lo", "bin_hi", "count"});
  Json& per = summary["channels"];
  per = Json::object();
  for (long c : channels) {
    Json& js = per[ch.names[c]];
    js = Json::object();
    auto& acc = per_channel[c];
    for (const auto& [name, values] : acc)  // means over samples, of what was asked for
      if (wants(name) || (name == "rmse" && wants("mse")) || name.rfind("ens_", 0) == 0) js[name] = mean_of(values);
    if (wants("skill") && has_prediction) {
      const auto& pcc = acc["pcc"];
      const auto& rfne = acc["rfne"];
      for (size_t k = 0; k < pcc.size(); ++k)
        skill_table.row() << static_cast<long>(k + 1) << ch.names[c] << pcc[k] << rfne[k];
      js["skill_horizon"] = skill_horizon(pcc, threshold);
      Json curve = Json::array();
      for (double v : pcc) curve.push(v);
      js["pcc_per_step"] = curve;
    }
    if (pulls.count(c)) {
      const auto& h = pulls[c];
      const double width = (h.hi - h.lo) / h.counts.size();
      pull_table.row() << ch.names[c] << -INFINITY << h.lo << h.below;
      for (size_t b = 0; b < h.counts.size(); ++b)
        pull_table.row() << ch.names[c] << h.lo + b * width << h.lo + (b + 1) * width << h.counts[b];
      pull_table.row() << ch.names[c] << h.hi << INFINITY << h.above;
    }
  }
  if (!continuity.empty()) {
    Json& jc = summary["continuity_error"];
    for (const auto& [field, values] : continuity) jc[field] = mean_of(values);
  }
  if (wants("skill")) summary["skill_threshold"] = threshold;

  std::vector<std::pair<std::string, const CsvTable*>> tables = {
      {out.metrics_csv, &metric_table},       {out.spectra_csv, &spectrum_table}, {out.ensemble_csv, &ensemble_table},
      {out.pull_csv, &pull_table},            {out.skill_csv, &skill_table},      {out.continuity_csv, &continuity_table}};
  Json written = Json::array();
  if (ctx.env.is_root()) {
    for (const auto& [path, table] : tables) {
      if (table->empty()) continue;
      output::write_text_atomic(path, table->text());
      written.push(path);
    }
    written.push(out.metrics_json);
    written.push(out.deck);
    summary["outputs"] = written;
    output::write_text_atomic(out.metrics_json, summary.dump());
    output::write_text_atomic(out.deck, deck.resolved_text());
    log::info("analyze: wrote ", out.metrics_json, " and the tables next to it");
  }
  MPI_Barrier(comm);
  return 0;
}

}  // namespace flex
