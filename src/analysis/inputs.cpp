#include "inputs.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/io/finite.hpp"

namespace flex::analysis {

namespace {

Channels resolve_channels(const AnalyzeConfig& config, const io::FieldReader& truth) {
  const long c = truth.shape().c;
  Channels ch;
  ch.names = truth.channel_names();
  auto named = [&](std::initializer_list<const char*> options) -> long {
    for (long i = 0; i < c; ++i)
      for (const char* o : options)
        if (ch.names[i] == o) return i;
    return -1;
  };
  auto pick = [&](const char* key, long v, long found) {
    FLEX_REQUIRE(v < c, config.run.about(key) << " = " << v << ", but " << truth.path()
                                               << " has " << c << " channels");
    return v >= 0 ? v : found;
  };
  ch.u = pick("analyze.u_channel", config.u_channel, named({"u"}));
  ch.v = pick("analyze.v_channel", config.v_channel, named({"v"}));
  ch.w = pick("analyze.vorticity_channel", config.vorticity_channel, named({"w", "omega", "vorticity"}));
  return ch;
}

void require_same_plane(const io::FieldReader& a, const io::FieldReader& b) {
  const auto s = a.shape(), t = b.shape();
  FLEX_REQUIRE(s.c == t.c && s.h == t.h && s.w == t.w,
               b.path() << ": fields [" << t.n << ", " << t.c << ", " << t.h << ", " << t.w
                        << "] do not match the truth " << a.path() << " [" << s.n << ", " << s.c << ", " << s.h
                        << ", " << s.w << "] in C, H, W");
}

// Samples from analyze.first (and analyze.prediction_first) every analyze.stride
// snapshots that every file holds; analyze.count of them, or all.
long sample_count(const AnalyzeConfig& config, const Inputs& in) {
  const long first = config.first, pfirst = config.prediction_first, stride = config.stride;
  FLEX_REQUIRE(first < in.shape.n, config.run.about("analyze.first") << " = " << first << ", but " << in.truth.path()
                                       << " holds " << in.shape.n << " snapshots");
  long available = (in.shape.n - first + stride - 1) / stride;
  auto limit = [&](long n_samples_in_file, const std::string& path) {
    FLEX_REQUIRE(pfirst < n_samples_in_file, config.run.about("analyze.prediction_first") << " = " << pfirst << ", but "
                                                 << path << " holds " << n_samples_in_file << " samples");
    available = std::min(available, (n_samples_in_file - pfirst + stride - 1) / stride);
  };
  const long packed = in.packed;
  if (in.prediction) limit(in.prediction->shape().n, in.prediction->path());
  if (in.baselines) limit(in.baselines->shape().n, in.baselines->path());
  for (const auto& e : in.ensemble) limit(packed > 0 ? e.shape().n / packed : e.shape().n, e.path());
  FLEX_REQUIRE(config.count <= available, config.run.about("analyze.count") << " = " << config.count
                                              << ", but the files hold only " << available
                                              << " samples from analyze.first with this stride");
  return config.count == 0 ? available : config.count;
}

// A file's `members` attribute (members per sample, as `flex infer` writes
// its <stem>.members.h5); 0 where it has none.
long members_attribute(const io::FieldReader& f) {
  if (!f.has_attribute("members")) return 0;
  const double k = f.attribute_double("members");
  FLEX_REQUIRE(k >= 1 && k < 1e9 && k == std::floor(k),
               f.path() << ": attribute 'members' = " << k << " is not a whole number of members per sample");
  return static_cast<long>(k);
}

// Members per sample: one per file, or K packed in the one file (snapshot
// s*K + m is member m of sample s). A file that says how many it packs (its
// `members` attribute) is taken at its word: analyze.ensemble_members must
// agree, or be left at 0 to take the file's. Without the attribute the key
// must be given and divide the file's snapshot count.
void resolve_members(const AnalyzeConfig& config, Inputs& in) {
  if (in.ensemble.empty()) return;
  const std::string key = config.run.about("analyze.ensemble_members");
  if (in.ensemble.size() > 1) {
    for (const auto& f : in.ensemble) {
      const long k = members_attribute(f);
      FLEX_REQUIRE(k <= 1, f.path() << ": its 'members' attribute = " << k << " says it packs " << k
                                    << " members per sample, but " << config.run.about("analyze.ensemble")
                                    << " lists it as one member of " << in.ensemble.size()
                                    << " (give it alone in analyze.ensemble)");
    }
    in.members = static_cast<long>(in.ensemble.size());
    in.packed = 0;
    return;
  }
  const io::FieldReader& f = in.ensemble.front();
  const long n = f.shape().n, stored = members_attribute(f), given = config.ensemble_members;
  if (stored > 0) {
    FLEX_REQUIRE(given == 0 || given == stored,
                 f.path() << ": attribute 'members' = " << stored << " (members per sample), but " << key << " = "
                          << given << " (leave analyze.ensemble_members at 0 to take the file's)");
    FLEX_REQUIRE(stored >= 2, f.path() << ": attribute 'members' = " << stored
                                       << ": ensemble statistics need at least 2 members per sample");
  } else {
    FLEX_REQUIRE(given > 0, f.path() << ": one ensemble file without a 'members' attribute, and " << key
                                     << " = 0: set analyze.ensemble_members to the members per sample it packs");
  }
  in.members = stored > 0 ? stored : given;
  FLEX_REQUIRE(n % in.members == 0,
               f.path() << ": dataset '" << f.dataset() << "' holds " << n << " snapshots, not a whole number of samples of "
                        << in.members << " members ("
                        << (stored > 0 ? std::string("its attribute 'members'") : key + " = " + std::to_string(given))
                        << ")");
  in.packed = in.members;
}

// The channels whose values the analysis uses: the analysed ones, and u, v, w
// where the continuity error and the spectra take them.
std::vector<long> used_channels(const AnalyzeConfig& config, const Inputs& in) {
  std::vector<long> out = in.analysed;
  auto add = [&](long c) {
    if (c >= 0 && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  const Channels& ch = in.channels;
  if (ch.u >= 0 && ch.v >= 0 && (config.wants("continuity") || config.wants("spectrum"))) add(ch.u), add(ch.v);
  if (config.wants("spectrum")) add(ch.w);
  std::sort(out.begin(), out.end());
  return out;
}

// run.check_finite: every snapshot of every file that the samples read, in
// the channels used, scanned for NaN/Inf before the first sample (collective).
void require_finite_inputs(const AnalyzeConfig& config, const Inputs& in, MPI_Comm comm) {
  if (!config.run.check_finite) return;
  std::vector<long> truth, predicted, packed;
  for (long j = 0; j < in.count; ++j) {
    truth.push_back(config.first + j * config.stride);
    const long p = config.prediction_first + j * config.stride;
    predicted.push_back(p);
    for (long m = 0; m < in.packed; ++m) packed.push_back(p * in.packed + m);
  }
  const std::vector<long> channels = used_channels(config, in);
  io::require_finite(in.truth, truth, channels, comm, "analyze.truth");
  if (in.prediction) io::require_finite(*in.prediction, predicted, channels, comm, "analyze.prediction");
  if (in.baselines) io::require_finite(*in.baselines, predicted, {}, comm, "analyze.baselines");
  for (const auto& e : in.ensemble)
    io::require_finite(e, in.packed > 0 ? packed : predicted, channels, comm, "analyze.ensemble");
}

// The baselines file: per baseline one plane of each of the truth's C
// channels, baseline-major, named by its `channels` attribute (as `flex infer`
// writes it: `<baseline>`, or `<baseline>.<channel>` when C > 1).
void open_baselines(const AnalyzeConfig& config, MPI_Comm comm, Inputs& in) {
  in.baselines = std::make_unique<io::FieldReader>(config.baselines, comm);
  const io::FieldReader& b = *in.baselines;
  const auto s = b.shape();
  const long C = in.shape.c;
  FLEX_REQUIRE(s.c % C == 0, config.run.about("analyze.baselines") << ": " << b.path() << " holds " << s.c
                                 << " planes, not a whole number of baselines of the " << C << " channel(s) of "
                                 << in.truth.path() << " (analyze.baselines = none: no baselines)");
  FLEX_REQUIRE(s.h == in.shape.h && s.w == in.shape.w,
               b.path() << ": baselines [" << s.n << ", " << s.c << ", " << s.h << ", " << s.w
                        << "] do not match the truth " << in.truth.path() << " in H, W (key 'analyze.baselines')");
  const auto planes = b.has_attribute("channels") ? b.channel_names() : std::vector<std::string>{};
  in.baseline_names.clear();
  if (static_cast<long>(planes.size()) == s.c) {
    for (long k = 0; k < s.c; k += C) in.baseline_names.push_back(C == 1 ? planes[k] : planes[k].substr(0, planes[k].find('.')));
  } else {
    for (long k = 0; k < s.c / C; ++k) in.baseline_names.push_back("baseline" + std::to_string(k));
  }
  for (const auto& name : in.baseline_names)
    FLEX_REQUIRE(name != kPredictionSource && std::count(in.baseline_names.begin(), in.baseline_names.end(), name) == 1,
                 b.path() << ": baseline name '" << name << "' is repeated or reserved (key 'analyze.baselines')");
}

}  // namespace

// The tiling the prediction (else the first member file) was stitched on:
// each of analyze.seam_patch, _halo, _boundary, or else the file's attribute.
std::optional<decomp::Tiling> stitching_tiling(const AnalyzeConfig& config, const Inputs& in) {
  const io::FieldReader* f = in.prediction ? in.prediction.get() : (in.ensemble.empty() ? nullptr : &in.ensemble[0]);
  long patch = config.seam_patch, halo = config.seam_halo;
  auto boundary = config.seam_boundary;
  if (patch == 0 && f && f->has_attribute("patch")) patch = std::lround(f->attribute_double("patch"));
  if (halo < 0 && f && f->has_attribute("halo")) halo = std::lround(f->attribute_double("halo"));
  if (!boundary && f && f->has_attribute("boundary")) boundary = decomp::parse_boundaries(f->attribute_string("boundary"));
  if (patch <= 0 || !f) return std::nullopt;
  const std::string where = config.seam_patch > 0 ? config.run.about("analyze.seam_patch")
                                                  : f->path() + " (its patch/halo attributes)";
  FLEX_REQUIRE(halo >= 0, where << ": patch " << patch << " without a halo (set analyze.seam_halo)");
  FLEX_REQUIRE(2 * halo < patch && patch <= std::min(in.shape.h, in.shape.w),
               where << ": patch " << patch << ", halo " << halo << " is no tiling of the " << in.shape.h << "x"
                     << in.shape.w << " field (0 <= halo < patch/2, patch <= the field)");
  return decomp::Tiling({in.shape.h, in.shape.w, patch, halo, boundary.value_or(decomp::Boundaries{})});
}

Inputs open_inputs(const AnalyzeConfig& config, MPI_Comm comm) {
  Inputs in(io::FieldReader(config.truth.path, comm, config.truth_layout));
  in.shape = in.truth.shape();
  in.channels = resolve_channels(config, in.truth);

  if (!config.prediction.path.empty()) {
    in.prediction = std::make_unique<io::FieldReader>(config.prediction.path, comm, config.prediction.dataset);
    require_same_plane(in.truth, *in.prediction);
  }
  for (const auto& path : config.ensemble) {
    in.ensemble.emplace_back(path, comm, config.ensemble_dataset);
    require_same_plane(in.truth, in.ensemble.back());
  }
  if (!config.baselines.empty()) open_baselines(config, comm, in);
  resolve_members(config, in);
  in.count = sample_count(config, in);
  if (config.wants("seam") && in.has_prediction()) in.stitching = stitching_tiling(config, in);

  in.analysed = config.channels;
  if (in.analysed.empty())
    for (long c = 0; c < in.shape.c; ++c) in.analysed.push_back(c);
  for (long c : in.analysed)
    FLEX_REQUIRE(c < in.shape.c, config.run.about("analyze.channels") << " names channel " << c << ", but " << in.truth.path()
                                     << " has " << in.shape.c);

  if (config.normalise == "given")
    FLEX_REQUIRE(static_cast<long>(config.given_mean.size()) == in.shape.c &&
                     static_cast<long>(config.given_std.size()) == in.shape.c,
                 config.run.about("analyze.normalise") << " = given needs analyze.mean and analyze.std with one value per channel ("
                     << in.shape.c << ")");
  FLEX_REQUIRE(!config.tiled() || (in.shape.h % config.tile == 0 && in.shape.w % config.tile == 0),
               config.run.about("analyze.tile") << " = " << config.tile << " must divide the " << in.shape.h << "x"
                   << in.shape.w << " fields of " << in.truth.path() << " (analyze.protocol = tiles)");
  const long window = config.ssim_window;
  FLEX_REQUIRE(!config.wants("ssim") || (!in.has_prediction() && !in.baselines) ||
                   (in.shape.h > window && in.shape.w > window),
               in.truth.path() << ": a " << in.shape.h << "x" << in.shape.w << " field is too small for the "
                               << window << "x" << window << " SSIM window (analyze.ssim_window)");
  require_finite_inputs(config, in, comm);  // last: every check that needs no data first
  return in;
}

}  // namespace flex::analysis
