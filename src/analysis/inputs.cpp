#include "inputs.hpp"

#include <algorithm>
#include <initializer_list>
#include <sstream>

#include "flex/core/error.hpp"

namespace flex::analysis {

namespace {

// The `channels` attribute as the field writer stores it: names joined by commas.
std::vector<std::string> attribute_names(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  std::istringstream in(text);
  while (std::getline(in, word, ',')) {
    const auto b = word.find_first_not_of(" \t"), e = word.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(word.substr(b, e - b + 1));
  }
  return out;
}

Channels resolve_channels(const AnalyzeConfig& config, const io::FieldReader& truth) {
  const long c = truth.shape().c;
  Channels ch;
  if (truth.has_attribute("channels")) ch.names = attribute_names(truth.attribute_string("channels"));
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
  auto pick = [&](const char* key, long v, long found) {
    FLEX_REQUIRE(v < c, config.run.deck_source << ": key '" << key << "' = " << v << ", but " << truth.path()
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
  const std::string& src = config.run.deck_source;
  const long first = config.first, pfirst = config.prediction_first, stride = config.stride;
  FLEX_REQUIRE(first < in.shape.n, src << ": key 'analyze.first' = " << first << ", but " << in.truth.path()
                                       << " holds " << in.shape.n << " snapshots");
  long available = (in.shape.n - first + stride - 1) / stride;
  auto limit = [&](long n_samples_in_file, const std::string& path) {
    FLEX_REQUIRE(pfirst < n_samples_in_file, src << ": key 'analyze.prediction_first' = " << pfirst << ", but "
                                                 << path << " holds " << n_samples_in_file << " samples");
    available = std::min(available, (n_samples_in_file - pfirst + stride - 1) / stride);
  };
  const long packed = config.ensemble_members;
  if (in.prediction) limit(in.prediction->shape().n, in.prediction->path());
  if (in.baselines) limit(in.baselines->shape().n, in.baselines->path());
  for (const auto& e : in.ensemble) limit(packed > 0 ? e.shape().n / packed : e.shape().n, e.path());
  FLEX_REQUIRE(config.count <= available, src << ": key 'analyze.count' = " << config.count
                                              << ", but the files hold only " << available
                                              << " samples from analyze.first with this stride");
  return config.count == 0 ? available : config.count;
}

// The baselines file: one plane per baseline of the truth's single channel,
// named by its `channels` attribute (as `flex infer` writes it).
void open_baselines(const AnalyzeConfig& config, MPI_Comm comm, Inputs& in) {
  const std::string& src = config.run.deck_source;
  in.baselines = std::make_unique<io::FieldReader>(config.baselines, comm);
  const io::FieldReader& b = *in.baselines;
  const auto s = b.shape();
  FLEX_REQUIRE(in.shape.c == 1, src << ": key 'analyze.baselines': " << b.path() << " holds baselines of a "
                                    << "one-channel prediction, but " << in.truth.path() << " has " << in.shape.c
                                    << " channels (analyze.baselines = none: no baselines)");
  FLEX_REQUIRE(s.h == in.shape.h && s.w == in.shape.w,
               b.path() << ": baselines [" << s.n << ", " << s.c << ", " << s.h << ", " << s.w
                        << "] do not match the truth " << in.truth.path() << " in H, W (key 'analyze.baselines')");
  if (b.has_attribute("channels")) in.baseline_names = attribute_names(b.attribute_string("channels"));
  if (static_cast<long>(in.baseline_names.size()) != s.c) {
    in.baseline_names.clear();
    for (long k = 0; k < s.c; ++k) in.baseline_names.push_back("baseline" + std::to_string(k));
  }
  for (const auto& name : in.baseline_names)
    FLEX_REQUIRE(name != kPredictionSource && std::count(in.baseline_names.begin(), in.baseline_names.end(), name) == 1,
                 b.path() << ": baseline name '" << name << "' is repeated or reserved (key 'analyze.baselines')");
}

}  // namespace

Inputs open_inputs(const AnalyzeConfig& config, MPI_Comm comm) {
  const std::string& src = config.run.deck_source;
  Inputs in(io::FieldReader(config.truth.path, comm, config.truth.dataset));
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
  in.members = config.members_per_sample();
  in.count = sample_count(config, in);

  in.analysed = config.channels;
  if (in.analysed.empty())
    for (long c = 0; c < in.shape.c; ++c) in.analysed.push_back(c);
  for (long c : in.analysed)
    FLEX_REQUIRE(c < in.shape.c, src << ": key 'analyze.channels' names channel " << c << ", but " << in.truth.path()
                                     << " has " << in.shape.c);

  if (config.normalise == "given")
    FLEX_REQUIRE(static_cast<long>(config.given_mean.size()) == in.shape.c &&
                     static_cast<long>(config.given_std.size()) == in.shape.c,
                 src << ": analyze.normalise = given needs analyze.mean and analyze.std with one value per channel ("
                     << in.shape.c << ")");
  FLEX_REQUIRE(!config.tiled() || (in.shape.h % config.tile == 0 && in.shape.w % config.tile == 0),
               src << ": key 'analyze.tile' = " << config.tile << " must divide the " << in.shape.h << "x"
                   << in.shape.w << " fields of " << in.truth.path() << " (analyze.protocol = tiles)");
  const long window = config.ssim_window;
  FLEX_REQUIRE(!config.wants("ssim") || (!in.has_prediction() && !in.baselines) ||
                   (in.shape.h > window && in.shape.w > window),
               in.truth.path() << ": a " << in.shape.h << "x" << in.shape.w << " field is too small for the "
                               << window << "x" << window << " SSIM window (analyze.ssim_window)");
  return in;
}

}  // namespace flex::analysis
