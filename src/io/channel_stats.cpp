#include "flex/io/channel_stats.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/io/fields.hpp"

namespace flex::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "flex-channel-stats";

// Count, mean and sum of squared deviations; merged with Chan et al.'s
// pairwise update (1979), which keeps a 280 K temperature's variance exact.
struct Moments {
  double n = 0, mean = 0, m2 = 0;
  void merge(const Moments& o) {
    if (o.n == 0) return;
    const double total = n + o.n, delta = o.mean - mean;
    mean += delta * o.n / total;
    m2 += o.m2 + delta * delta * n * o.n / total;
    n = total;
  }
};

Moments moments_of(const std::vector<float>& x) {
  Moments m;
  m.n = static_cast<double>(x.size());
  double sum = 0;
  for (float v : x) sum += v;
  m.mean = sum / m.n;
  for (float v : x) m.m2 += (v - m.mean) * (v - m.mean);
  return m;
}

nlohmann::json file_list(const std::vector<std::string>& files) {
  auto list = nlohmann::json::array();
  for (const auto& f : files) {
    const auto stamp = fs::last_write_time(f).time_since_epoch();
    list.push_back({{"name", fs::path(f).filename().string()},
                    {"size", static_cast<std::uintmax_t>(fs::file_size(f))},
                    {"mtime", std::chrono::duration_cast<std::chrono::nanoseconds>(stamp).count()}});
  }
  return list;
}

std::string cache_path(const std::vector<std::string>& files, const FieldLayout& layout, Format resolved) {
  std::string name = std::string("flex_stats.") + format_name(resolved);
  if (!layout.dataset.empty()) name += "." + layout.dataset;
  if (resolved == Format::PdeBench) name += ".b" + std::to_string(layout.batch_index);
  return (fs::path(files.front()).parent_path() / (name + ".json")).string();
}

// The cached statistics, when the cache describes exactly these files.
bool read_cache(const std::string& path, const nlohmann::json& files, ChannelStats* out) {
  std::ifstream in(path);
  if (!in.good()) return false;
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", "") != kFormat || j.value("files", nlohmann::json()) != files) return false;
  try {
    out->mean = j.at("mean").get<std::vector<double>>();
    out->std = j.at("std").get<std::vector<double>>();
    out->snapshots = j.at("snapshots").get<long>();
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  out->source = path;
  return out->mean.size() == out->std.size() && !out->mean.empty();
}

ChannelStats compute(const std::vector<std::string>& files, const FieldLayout& layout, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  // Every (file, snapshot) pair, shared out in contiguous blocks.
  std::vector<std::pair<size_t, long>> work;
  long channels = -1;
  for (size_t f = 0; f < files.size(); ++f) {
    const FieldReader reader(files[f], MPI_COMM_SELF, layout);
    const auto s = reader.shape();
    FLEX_REQUIRE(channels < 0 || s.c == channels, files[f] << ": " << s.c << " channels, but " << files.front()
                                                            << " has " << channels);
    channels = s.c;
    for (long n = 0; n < s.n; ++n) work.emplace_back(f, n);
  }
  const auto mine = mpi::share(static_cast<long>(work.size()), rank, ranks);
  std::vector<Moments> local(static_cast<size_t>(channels));
  // A damaged snapshot fails on one rank: agreed, so none waits in the gather.
  mpi::agree(comm, [&] {
    std::unique_ptr<FieldReader> reader;
    size_t open = files.size();
    for (long i = mine.begin; i < mine.end; ++i) {
      const auto [f, n] = work[static_cast<size_t>(i)];
      if (f != open) reader = std::make_unique<FieldReader>(files[f], MPI_COMM_SELF, layout), open = f;
      const auto s = reader->shape();
      for (long c = 0; c < channels; ++c)
        local[static_cast<size_t>(c)].merge(moments_of(reader->read({n, 1, c, 1, 0, s.h, 0, s.w})));
    }
  });
  std::vector<double> mine_flat;
  for (const auto& m : local) mine_flat.insert(mine_flat.end(), {m.n, m.mean, m.m2});
  std::vector<double> all(mine_flat.size() * static_cast<size_t>(ranks));
  FLEX_CHECK_MPI(MPI_Allgather(mine_flat.data(), static_cast<int>(mine_flat.size()), MPI_DOUBLE, all.data(),
                               static_cast<int>(mine_flat.size()), MPI_DOUBLE, comm));
  ChannelStats out;
  out.snapshots = static_cast<long>(work.size());
  for (long c = 0; c < channels; ++c) {
    Moments total;
    for (int r = 0; r < ranks; ++r) {
      const double* m = all.data() + (static_cast<size_t>(r) * static_cast<size_t>(channels) + static_cast<size_t>(c)) * 3;
      total.merge({m[0], m[1], m[2]});
    }
    out.mean.push_back(total.mean);
    out.std.push_back(std::sqrt(total.m2 / total.n));
  }
  return out;
}

}  // namespace

std::vector<std::string> statistics_files(const std::string& path) {
  fs::path dir = fs::absolute(path).parent_path();
  const std::string split = dir.filename().string();
  const bool held_out = split == "valid_1" || split == "valid_2" || split == "test_1" || split == "test_2";
  if (held_out && fs::is_directory(dir.parent_path() / "train")) dir = dir.parent_path() / "train";
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".h5") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  FLEX_REQUIRE(!files.empty(), dir.string() << ": no .h5 files to take the channel statistics of");
  return files;
}

ChannelStats channel_statistics(const std::vector<std::string>& given, const FieldLayout& layout, MPI_Comm comm) {
  FLEX_REQUIRE(!given.empty(), "channel statistics of no files");
  std::vector<std::string> files = given;
  std::sort(files.begin(), files.end());
  const Format resolved = FieldReader(files.front(), MPI_COMM_SELF, layout).format();
  const std::string path = cache_path(files, layout, resolved);
  const auto listed = file_list(files);
  ChannelStats stats;
  // Rank 0 decides whether the cache holds; everyone takes its word.
  std::string cached;
  mpi::on_root(comm, [&] {
    if (read_cache(path, listed, &stats))
      cached = nlohmann::json{{"mean", stats.mean}, {"std", stats.std}, {"snapshots", stats.snapshots}}.dump();
  });
  cached = mpi::broadcast(cached, comm);
  if (!cached.empty()) {
    const auto j = nlohmann::json::parse(cached);
    stats.mean = j.at("mean").get<std::vector<double>>();
    stats.std = j.at("std").get<std::vector<double>>();
    stats.snapshots = j.at("snapshots").get<long>();
    stats.source = path;
    log::info("stats: channel statistics of ", files.size(), " file(s) from ", path);
    return stats;
  }
  const auto t0 = std::chrono::steady_clock::now();
  stats = compute(files, layout, comm);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats.source = path;
  std::string failure;
  mpi::on_root(comm, [&] {
    nlohmann::ordered_json j;
    j["format"] = kFormat;
    j["version"] = 1;
    j["layout"] = {{"format", format_name(resolved)}, {"dataset", layout.dataset}, {"batch_index", layout.batch_index}};
    j["files"] = listed;
    j["snapshots"] = stats.snapshots;
    j["mean"] = stats.mean;
    j["std"] = stats.std;
    try {
      output::write_text_atomic(path, j.dump(2) + "\n");
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  failure = mpi::broadcast(failure, comm);
  if (!failure.empty()) {
    log::warn("stats: could not cache the channel statistics (", failure, "); they are recomputed next time");
    stats.source = "computed";
  }
  log::info("stats: channel statistics of ", stats.snapshots, " snapshot(s) in ", files.size(), " file(s) in ",
            seconds, " s, cached in ", stats.source);
  return stats;
}

}  // namespace flex::io
