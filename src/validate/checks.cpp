// The checks of the validation suite, in report order. Each measures on this
// build and machine what a test asserts in CI, so a site can see its own
// numbers before trusting a run.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/decomp/blocks.hpp"
#include "flex/decomp/tiling.hpp"
#include "flex/diffusion/parity.hpp"
#include "flex/dns/verification.hpp"
#include "flex/infer/run.hpp"
#include "flex/model/config.hpp"
#include "flex/model/shapes.hpp"
#include "flex/validate/check.hpp"
#include "flex/validate/config.hpp"
#include "flex/validate/spectra.hpp"

namespace flex::validate {

namespace {

std::string fmt(double x) { return format_number(x, 4); }

std::vector<Result> arakawa(const Context& c) {
  const auto id = dns::verify::arakawa_identities(c.config.grid, 11, c.comm);
  const std::string note = "sumJ " + fmt(id.sum_j) + ", sum aJ " + fmt(id.sum_a_j) + ", sum bJ " + fmt(id.sum_b_j) +
                           ", J(a,b)+J(b,a) " + fmt(id.antisymmetry);
  return {below("dns.arakawa_identities", "worst relative identity defect", id.worst(), 1e-12, note)};
}

// Observed order log2(e(n) / e(2n)) of an error that should fall as h^2.
std::vector<Result> order(const char* name, const char* what, double (*error)(long, MPI_Comm), const Context& c) {
  const long n = c.config.grid;
  const double coarse = error(n / 2, c.comm), fine = error(n, c.comm);
  return {within(name, what, std::log2(coarse / fine), 1.9, 2.1,
                 "error " + fmt(coarse) + " at " + std::to_string(n / 2) + "^2, " + fmt(fine) + " at " +
                     std::to_string(n) + "^2")};
}

std::vector<Result> poisson(const Context& c) {
  const double r = dns::verify::poisson_residual(c.config.grid, 5, c.comm);
  return {below("dns.poisson_inverse", "max |lap_h psi + w| / max |w|", r, 1e-10)};
}

std::vector<Result> rk3(const Context& c) {
  const auto coarse = dns::verify::inviscid_drift(0.02, c.comm), fine = dns::verify::inviscid_drift(0.01, c.comm);
  return {within("dns.rk3_energy_drift", "energy drift ratio dt -> dt/2", coarse.energy / fine.energy, 6.5, 9.5,
                 "drift " + fmt(coarse.energy) + " -> " + fmt(fine.energy)),
          within("dns.rk3_enstrophy_drift", "enstrophy drift ratio dt -> dt/2", coarse.enstrophy / fine.enstrophy,
                 6.5, 9.5),
          below("dns.mean_vorticity", "max |<w>| during the run", std::max(coarse.mean_vorticity, fine.mean_vorticity),
                1e-12)};
}

std::vector<Result> kraichnan(const Context& c) {
  const auto k = dns::verify::kraichnan_check(2 * c.config.grid, 10.0, 42, c.comm);
  return {within("dns.kraichnan_energy", "initial energy E_h", k.energy, 0.5 - 1e-12, 0.5 + 1e-12),
          below("dns.kraichnan_spectrum", "max shell deviation from E(k)", k.max_shell_deviation, 1e-10,
                "global normalisation factor " + fmt(k.normalisation) + ", shells 1-" +
                    std::to_string(k.shells_judged) + " (>= 1e-6 of the peak energy; beyond, FFT round-off)")};
}

std::vector<Result> stitching(const Context& c) {
  const long n = 4 * c.config.grid;
  torch::manual_seed(3);
  const auto field = torch::randn({n, n});
  std::vector<Result> out;
  for (long halo : {0L, 16L}) {
    decomp::Tiling tiling({n, n, n / 4, halo, decomp::Boundary::Periodic});
    // The blocks inference uses: each rank stitches its patches, the overlaps go to the neighbours.
    const decomp::BlockDecomposition d(tiling, c.comm);
    decomp::BlockStitcher stitcher(d, 1);
    std::vector<float> patch(static_cast<size_t>(tiling.spec().patch * tiling.spec().patch));
    for (const long i : d.patches(d.rank())) {
      tiling.extract(field.data_ptr<float>(), i, patch.data());
      stitcher.add(i, 0, patch.data());
    }
    stitcher.reduce();
    const auto b = d.block(d.rank());
    auto block = stitcher.result(0);
    const auto back = torch::from_blob(block.data(), {b.rows.size(), b.cols.size()});
    // A rank without a block (more grid rows than patch rows) has nothing to compare.
    double worst =
        b.count() == 0
            ? 0.0
            : (back - field.narrow(0, b.rows.begin, b.rows.size()).narrow(1, b.cols.begin, b.cols.size()))
                  .abs()
                  .max()
                  .item<double>();
    FLEX_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, c.comm));
    out.push_back(below("decomp.stitch_roundtrip", "max |stitch(tile(x)) - x|, halo " + std::to_string(halo),
                        worst, 1e-5));
  }
  return out;
}

std::vector<Result> parameter_counts(const Context&) {
  struct Expect {
    const char* size;
    model::TaskSet tasks;
    std::int64_t count;  // SPEC §5 / tests/reference
  };
  std::vector<Result> out;
  for (const auto& e : {Expect{"S", model::TaskSet::SuperResolution, 49718529},
                        Expect{"S", model::TaskSet::Multitask, 58315969},
                        Expect{"M", model::TaskSet::SuperResolution, 199170561},
                        Expect{"M", model::TaskSet::Multitask, 233836225},
                        Expect{"L", model::TaskSet::Multitask, 1089812225}}) {
    auto config = model::flex_config_for_size(e.size);
    config.tasks = e.tasks;
    const double got = static_cast<double>(model::count_parameters(config));
    out.push_back(within("model.parameter_count",
                         std::string("FLEX-") + e.size + " " + model::task_set_name(e.tasks) + " parameters", got,
                         static_cast<double>(e.count), static_cast<double>(e.count)));
  }
  return out;
}

std::vector<Result> parity(const Context& c) {
  const auto& dir = c.config.fixtures;
  const auto result = diffusion::run_parity(dir + "/parity_tiny.pt", dir + "/parity_tiny.h5", c.device);
  std::vector<Result> out;
  for (const auto& item : result.items)
    out.push_back(below("model.parity", item.name + ": max |ours - reference| / std", item.relative(),
                        result.tolerance, "fixture " + dir));
  return out;
}

// FLEX against the honest bicubic baseline (samples at their true positions,
// SPEC §3) on held-out DNS snapshots, sampled by the very pipeline of
// `flex infer` (its halo, boundary, batch, members); the conditioning field
// and SuperBench's bicubic are reported beside it.
std::vector<Result> sr_skill(const Context& c) {
  const auto& config = c.config.infer;
  FLEX_REQUIRE(!config.lowres_input, config.about("infer.lowres_input")
                                         << " = true leaves sr.skill no high-res truth to score against");
  const auto sr = infer::super_resolve_file(config, c.device, c.comm);
  using S = infer::SrSnapshot;
  const double flex = sr.mean(&S::rfne), aligned = sr.mean(&S::rfne_bicubic_aligned);
  return {below("sr.skill_vs_bicubic", "RFNE(FLEX) / RFNE(aligned bicubic), mean over snapshots", flex / aligned, 1.0,
                "RFNE FLEX " + fmt(flex) + ", aligned bicubic " + fmt(aligned) + ", conditioning field " +
                    fmt(sr.mean(&S::rfne_conditioning)) + ", bicubic align_corners " +
                    fmt(sr.mean(&S::rfne_bicubic_align_corners)) + " over " + std::to_string(sr.fields.size()) +
                    " snapshot(s); prediction " + sr.output)};
}

// The claims a suite judges from its analysis summaries (`flex analyze`'s
// <prefix>_metrics.json), one result per summary and channel.
using Json = nlohmann::json;

Json read_summary(const ValidateConfig& c, const std::string& file) {
  const auto path = std::filesystem::path(c.run.output_dir) / file;
  std::ifstream in(path);
  FLEX_REQUIRE(in, path.string() << ": analysis summary not found (the suite's analyze stage writes it)");
  try {
    return Json::parse(in);
  } catch (const Json::exception& e) {
    throw InputError(path.string() + ": not an analysis summary (" + e.what() + ")");
  }
}

// summary[keys...] as a number; a missing key names the file and the key.
double number_at(const Json& j, const std::vector<std::string>& keys, const std::string& file) {
  const Json* at = &j;
  std::string where;
  for (const auto& k : keys) {
    where += (where.empty() ? "" : ".") + k;
    FLEX_REQUIRE(at->is_object() && at->contains(k), file << ": no '" << where << "' in the analysis summary");
    at = &(*at)[k];
  }
  FLEX_REQUIRE(at->is_number(), file << ": '" << where << "' is not a number");
  return at->get<double>();
}

std::vector<Result> sr_vs_bicubic(const Context& c) {
  std::vector<Result> out;
  // Zero-shot fields (another channel, the std overridden) need only beat the bicubic.
  std::vector<std::pair<std::string, double>> judged;
  for (const auto& f : c.config.sr_metrics) judged.emplace_back(f, c.config.sr_ratio);
  for (const auto& f : c.config.zero_shot_metrics) judged.emplace_back(f, 1.0);
  for (const auto& [file, ratio] : judged) {
    const Json j = read_summary(c.config, file);
    for (const auto& [channel, _] : j.at("channels").items()) {
      const double flex = number_at(j, {"channels", channel, "rfne"}, file);
      const double bicubic = number_at(j, {"baselines", "sources", "bicubic_aligned", channel, "rfne"}, file);
      out.push_back(below("suite.sr_vs_bicubic", file + " " + channel + ": RFNE(FLEX) / RFNE(aligned bicubic)",
                          flex / bicubic, ratio,
                          "RFNE FLEX " + fmt(flex) + ", aligned bicubic " + fmt(bicubic) + " over " +
                              std::to_string(j.value("samples", 0L)) + " field(s)"));
    }
  }
  return out;
}

// The summary's output ending in `suffix` (its CSVs sit beside it under run.output_dir).
std::string output_of(const Json& j, const std::string& suffix, const std::string& file) {
  for (const auto& o : j.value("outputs", std::vector<std::string>{}))
    if (o.size() >= suffix.size() && o.compare(o.size() - suffix.size(), suffix.size(), suffix) == 0) return o;
  throw InputError(file + ": lists no *" + suffix + " output (analyze.metrics needs spectra)");
}

std::vector<Result> sr_spectrum(const Context& c) {
  std::vector<Result> out;
  for (const auto& file : c.config.sr_metrics) {
    const Json j = read_summary(c.config, file);
    const auto csv = output_of(j, "_spectra.csv", file);
    const auto path = std::filesystem::path(c.config.run.output_dir) / csv;
    std::ifstream in(path);
    FLEX_REQUIRE(in, path.string() << ": spectra CSV not found (named by " << file << ")");
    const auto spectra = mean_vorticity_spectra(in, path.string());
    for (const char* field : {"truth", "prediction", "bicubic_aligned"})
      FLEX_REQUIRE(spectra.count(field), path.string() << ": no vorticity spectrum of '" << field << "'");
    // A generative model's claim is about its samples: the members' spectra where there is an ensemble (the
    // ensemble mean, an estimate of the conditional mean, is smooth by construction and reported beside).
    const bool members = spectra.count("members") > 0;
    const auto& truth = spectra.at("truth");
    const auto& bicubic = spectra.at("bicubic_aligned");
    const auto s = compare_spectra(truth, spectra.at(members ? "members" : "prediction"), bicubic);
    std::string bands;
    for (const auto& b : s.bands)
      bands += (bands.empty() ? "" : "; ") + std::string("k ") + std::to_string(b.k_lo) + "-" + std::to_string(b.k_hi) +
               ": FLEX " + format_number(b.flex, 3) + ", bicubic " + format_number(b.bicubic, 3);
    const std::string mean_note =
        members ? "; the ensemble mean's worst " + fmt(compare_spectra(truth, spectra.at("prediction"), bicubic).worst_factor)
                : "";
    out.push_back(below("suite.sr_spectrum",
                        file + " w: worst E(k) factor of FLEX " + (members ? "members" : "prediction") +
                            " from the truth's, k = 1-" + std::to_string(s.shells_judged),
                        s.worst_factor, 2.0,
                        "at k = " + std::to_string(s.worst_shell) + mean_note + "; aligned bicubic's worst " +
                            fmt(s.bicubic_worst_factor) +
                            (s.bicubic_below_from > 0 ? ", under half the truth's from k = " +
                                                            std::to_string(s.bicubic_below_from)
                                                      : ", never under half the truth's") +
                            "; band energy / truth's: " + bands));
  }
  return out;
}

// Mean RFNE of the prediction over summaries (every channel of each).
double mean_rfne(const ValidateConfig& config, const std::vector<std::string>& files) {
  double sum = 0;
  long n = 0;
  for (const auto& file : files) {
    const Json j = read_summary(config, file);
    for (const auto& [channel, _] : j.at("channels").items()) sum += number_at(j, {"channels", channel, "rfne"}, file), ++n;
  }
  return n > 0 ? sum / static_cast<double>(n) : std::nan("");
}

std::vector<Result> sr_vs_competitors(const Context& c) {
  std::vector<Result> out;
  const double flex = mean_rfne(c.config, c.config.sr_reference);
  for (const auto& [label, files] : c.config.sr_competitors) {
    const double other = mean_rfne(c.config, files);
    out.push_back(below("suite.sr_vs_competitors", "mean RFNE FLEX / " + label, flex / other, 1.0,
                        "RFNE FLEX " + fmt(flex) + ", " + label + " " + fmt(other) + " over " +
                            std::to_string(files.size()) + " summaries each"));
  }
  return out;
}

std::vector<Result> fc_vs_persistence(const Context& c) {
  std::vector<Result> out;
  for (const auto& file : c.config.fc_metrics) {
    const Json j = read_summary(c.config, file);
    for (const auto& [channel, _] : j.at("channels").items()) {
      // number_at names a missing key; on a const Json, operator[] of a missing key is undefined.
      (void)number_at(j, {"baselines", "sources", "persistence", channel, "skill_horizon"}, file);
      const auto pcc = j.at("channels").at(channel).value("pcc_per_step", std::vector<double>{});
      const auto pers =
          j.at("baselines").at("sources").at("persistence").at(channel).value("pcc_per_step", std::vector<double>{});
      FLEX_REQUIRE(!pcc.empty() && pcc.size() == pers.size(),
                   file << ": no per-lead PCC of the forecast and persistence (analyze.metrics needs skill)");
      // (1 - PCC) is the decorrelation; below 1 means FLEX's lead-1 frame is closer than the last frame.
      out.push_back(below("suite.fc_vs_persistence", file + " " + channel + ": (1 - PCC) FLEX / persistence, lead 1",
                          (1 - pcc[0]) / (1 - pers[0]), 1.0,
                          "PCC FLEX " + fmt(pcc[0]) + ", persistence " + fmt(pers[0])));
      const double flex_h = number_at(j, {"channels", channel, "skill_horizon"}, file);
      const double pers_h = number_at(j, {"baselines", "sources", "persistence", channel, "skill_horizon"}, file);
      const double threshold = j.value("skill_threshold", 0.95);
      out.push_back(at_least("suite.fc_vs_persistence",
                             file + " " + channel + ": leads with PCC > " + fmt(threshold) + ", FLEX / persistence",
                             flex_h / std::max(pers_h, 1.0), c.config.fc_horizon_ratio,
                           "FLEX " + fmt(flex_h) + " of " + std::to_string(pcc.size()) + " leads, persistence " +
                               fmt(pers_h) + (flex_h >= static_cast<double>(pcc.size()) ? " (FLEX skilful at every "
                                                                                           "lead scored: score more)"
                                                                                         : "")));
    }
  }
  return out;
}

std::vector<Result> ensemble_calibration(const Context& c) {
  std::vector<Result> out;
  for (const auto& file : c.config.ensemble_metrics) {
    const Json j = read_summary(c.config, file);
    const long members = j.value("ensemble_members", 0L);
    FLEX_REQUIRE(members >= 2, file << ": no ensemble statistics (analyze.ensemble with K >= 2 members)");
    for (const auto& [channel, _] : j.at("channels").items()) {
      const std::string k = " (K = " + std::to_string(members) + ")";
      const double pull = number_at(j, {"channels", channel, "ens_pull_std"}, file);
      const double ssr = number_at(j, {"channels", channel, "ens_ssr"}, file);
      out.push_back(within("suite.ensemble_calibration", file + " " + channel + ": pull std" + k, pull, 0.7, 1.5,
                           pull > 1 ? "over-confident (spread below the error), the paper's finding"
                                    : "under-confident (spread above the error)"));
      out.push_back(within("suite.ensemble_calibration", file + " " + channel + ": spread-skill ratio" + k, ssr, 0.5,
                           1.5));
    }
  }
  return out;
}

template <std::vector<std::string> ValidateConfig::*files>
std::vector<std::string> needs(const ValidateConfig& v, const char* key) {
  return (v.*files).empty() ? std::vector<std::string>{key} : std::vector<std::string>{};
}

}  // namespace

const std::vector<Check>& checks() {
  static const std::vector<Check> all = {
      {"dns.arakawa_identities", "Arakawa Jacobian conserves sum J, sum aJ, sum bJ and is antisymmetric", arakawa},
      {"dns.jacobian_order", "Arakawa Jacobian converges at second order",
       [](const Context& c) {
         return order("dns.jacobian_order", "observed order of J_h", dns::verify::jacobian_error, c);
       }},
      {"dns.poisson_inverse", "FFT Poisson solve inverts the 5-point Laplacian exactly", poisson},
      {"dns.taylor_green_order", "Taylor-Green decay converges at second order in space",
       [](const Context& c) {
         return order("dns.taylor_green_order", "observed order of the Taylor-Green error",
                      dns::verify::taylor_green_error, c);
       }},
      {"dns.rk3_drift", "inviscid RK3 energy/enstrophy drift is third order in dt", rk3},
      {"dns.kraichnan", "Kraichnan initial condition: energy 1/2 and the prescribed spectrum", kraichnan},
      {"decomp.stitch", "tile -> stitch returns the field (any rank count, with halos)", stitching},
      {"model.parameter_count", "FLEX S/M/L parameter counts equal the paper's", parameter_counts},
      {"model.parity", "reference checkpoint reproduces the authors' outputs (validate.fixtures)", parity,
       [](const ValidateConfig& v) {
         return v.fixtures.empty() ? std::vector<std::string>{"validate.fixtures"} : std::vector<std::string>{};
       }},
      {"sr.skill", "FLEX beats aligned bicubic on held-out DNS snapshots (infer.checkpoint, infer.input)", sr_skill,
       [](const ValidateConfig& v) { return v.infer.missing_inputs(); }},
      {"suite.sr_vs_bicubic", "FLEX-SR's RFNE against the aligned bicubic's in the suite's analyses (validate.sr_ratio)",
       sr_vs_bicubic,
       [](const ValidateConfig& v) {
         return v.sr_metrics.empty() && v.zero_shot_metrics.empty() ? std::vector<std::string>{"validate.sr_metrics"}
                                                                     : std::vector<std::string>{};
       }},
      {"suite.sr_spectrum", "FLEX-SR's vorticity spectrum within a factor 2 of the truth's up to half the Nyquist",
       sr_spectrum, [](const ValidateConfig& v) { return needs<&ValidateConfig::sr_metrics>(v, "validate.sr_metrics"); }},
      {"suite.sr_vs_competitors", "FLEX-SR's mean RFNE below same-budget networks' (validate.sr_competitors)",
       sr_vs_competitors,
       [](const ValidateConfig& v) {
         return v.sr_competitors.empty() ? std::vector<std::string>{"validate.sr_competitors"}
                                         : std::vector<std::string>{};
       }},
      {"suite.fc_vs_persistence", "forecast skill against persistence: lead 1, and leads with PCC > 0.95",
       fc_vs_persistence,
       [](const ValidateConfig& v) { return needs<&ValidateConfig::fc_metrics>(v, "validate.fc_metrics"); }},
      {"suite.ensemble_calibration", "ensemble pull std in [0.7, 1.5] and spread-skill ratio in [0.5, 1.5]",
       ensemble_calibration,
       [](const ValidateConfig& v) { return needs<&ValidateConfig::ensemble_metrics>(v, "validate.ensemble_metrics"); }},
  };
  return all;
}

}  // namespace flex::validate
