#include "flex/data/dataset.hpp"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/transforms.hpp"

namespace flex::data {


ReScaling parse_re_scaling(const std::string& word) {
  if (word == "ref") return ReScaling::Reference;
  if (word == "log10") return ReScaling::Log10;
  FLEX_REQUIRE(word == "linear", "Reynolds scaling '" << word << "': expected ref, log10 or linear");
  return ReScaling::Linear;
}

const char* re_scaling_name(ReScaling s) {
  switch (s) {
    case ReScaling::Reference: return "ref";
    case ReScaling::Log10: return "log10";
    case ReScaling::Linear: return "linear";
  }
  return "?";
}

double scaled_reynolds(ReScaling s, double reynolds) {
  switch (s) {
    case ReScaling::Reference: return reynolds / 40000.0;  // the authors' loaders (SPEC §3)
    case ReScaling::Log10: return std::log10(reynolds) - 4.0;
    case ReScaling::Linear: return reynolds / 1e4;
  }
  return reynolds;
}

std::int64_t conditioning_count(const SampleConfig& c) { return 1 + (c.cond_step ? 1 : 0) + (c.cond_factor ? 1 : 0); }

std::vector<float> conditioning(const SampleConfig& c, Task task, double reynolds) {
  FLEX_CHECK(reynolds > 0, "conditioning: Reynolds number must be positive, got " << reynolds);
  std::vector<float> out;
  out.push_back(static_cast<float>(scaled_reynolds(c.re_scaling, reynolds)));
  if (c.cond_step) out.push_back(task == Task::Forecast ? static_cast<float>(c.horizon) : 0.0f);
  if (c.cond_factor) out.push_back(task == Task::SuperResolution ? static_cast<float>(c.factor) / 8.0f : 0.0f);
  return out;
}

std::vector<std::int64_t> select_snapshots(const std::string& spec, std::int64_t n, const std::string& where) {
  std::vector<std::int64_t> out;
  if (spec == "even" || spec == "odd" || spec == "all") {
    const std::int64_t start = spec == "odd" ? 1 : 0, stride = spec == "all" ? 1 : 2;
    for (std::int64_t i = start; i < n; i += stride) out.push_back(i);
    return out;
  }
  std::stringstream list(spec);
  std::string item;
  while (std::getline(list, item, ',')) {
    std::vector<std::string> parts;
    std::stringstream fields(item);
    std::string f;
    while (std::getline(fields, f, ':')) parts.push_back(f);
    FLEX_REQUIRE(parts.size() == 2 || parts.size() == 3,
                 where << ": snapshot selection '" << spec << "': use even, odd, all or a:b[:s],... ranges");
    auto number = [&](const std::string& s) -> std::int64_t {
      if (s == "end") return n;
      try {
        std::size_t used = 0;
        const long v = std::stol(s, &used);
        if (used == s.size()) return v;
      } catch (const std::exception&) {
      }
      FLEX_REQUIRE(false, where << ": snapshot selection '" << spec << "': '" << s << "' is not an index");
    };
    const std::int64_t a = number(parts[0]), b = number(parts[1]), s = parts.size() == 3 ? number(parts[2]) : 1;
    FLEX_REQUIRE(0 <= a && a <= b && b <= n && s >= 1,
                 where << ": snapshot range '" << item << "' outside [0, " << n << "] or stride < 1");
    for (std::int64_t i = a; i < b; i += s) out.push_back(i);
  }
  return out;
}

Batch collate(Task task, const std::vector<Sample>& samples, std::vector<std::int64_t> indices) {
  Batch b;
  b.task = task;
  b.indices = std::move(indices);
  if (samples.empty()) return b;
  std::vector<at::Tensor> in, base, res, cond;
  for (const auto& s : samples) {
    in.push_back(s.input);
    base.push_back(s.base);
    res.push_back(s.residual);
    cond.push_back(s.cond);
  }
  b.input = torch::stack(in);
  b.base = torch::stack(base);
  b.residual = torch::stack(res);
  b.cond = torch::stack(cond);
  return b;
}

Dataset::Dataset(std::vector<SourceEntry> sources, Task task, SampleConfig config)
    : sources_(std::move(sources)), task_(task), config_(config) {
  FLEX_CHECK(config_.horizon >= 1, "dataset: forecast horizon must be >= 1, got " << config_.horizon);
  const auto C = static_cast<std::int64_t>(config_.channels.size());
  FLEX_CHECK(C >= 1 && config_.norm_mean.size() == config_.channels.size() &&
                 config_.norm_std.size() == config_.channels.size(),
             "dataset: " << C << " channel(s) need one norm_mean and norm_std each");
  mean_ = torch::tensor(config_.norm_mean, torch::kDouble).to(torch::kFloat).view({C, 1, 1});
  inverse_std_ = (1.0 / torch::tensor(config_.norm_std, torch::kDouble)).to(torch::kFloat).view({C, 1, 1});
  for (const auto& e : sources_) {
    for (const auto c : config_.channels)
      FLEX_CHECK(c >= 0 && c < e.source->channels(), e.source->name() << ": no channel " << c);
    offsets_.push_back(total_);
    // SR: every snapshot of the split. FC: the split chooses the anchors t
    // only; t - h and t + h are raw snapshots of the file (SPEC §3, the
    // authors' frames (t-1, t) -> t+1), so anchors too close to an end go.
    std::vector<std::int64_t> anchors;
    const std::int64_t n = e.source->snapshots(), hz = config_.horizon;
    for (const std::int64_t t : e.snapshots)
      if (task_ == Task::SuperResolution || (t - hz >= 0 && t + hz < n)) anchors.push_back(t);
    total_ += static_cast<std::int64_t>(anchors.size()) * config_.patches_per_snapshot;
    anchors_.push_back(std::move(anchors));
    FLEX_CHECK(config_.patch <= e.source->rows() && config_.patch <= e.source->cols(),
               e.source->name() << ": patch " << config_.patch << " larger than the field");
  }
}

Dataset::Locator Dataset::locate(std::int64_t index) const {
  FLEX_CHECK(index >= 0 && index < total_, "dataset index " << index << " outside [0, " << total_ << ")");
  std::size_t s = offsets_.size() - 1;
  while (offsets_[s] > index) --s;
  const std::int64_t position = (index - offsets_[s]) / config_.patches_per_snapshot;
  return {s, anchors_[s][static_cast<std::size_t>(position)]};
}

std::pair<std::int64_t, std::int64_t> Dataset::patch_origin(const FieldSource& src, std::uint64_t patch_seed) const {
  const std::int64_t p = config_.patch;
  // Along an axis that wraps, anywhere; between walls, where the patch and
  // (SR) the points its bicubic conditioning reads lie inside the field.
  const WindowSpec reach = task_ == Task::SuperResolution ? sr_read_window(0, 0, p, config_.factor, config_.sr_upsampling) : WindowSpec{0, 0, p, p};
  const auto draw = [&](std::uint64_t r, std::int64_t extent, std::int64_t start, std::int64_t length, bool wraps) {
    if (wraps) return static_cast<std::int64_t>(r % static_cast<std::uint64_t>(extent));
    const std::int64_t room = extent - length;
    FLEX_REQUIRE(room >= 0, src.name() << ": a patch of " << p << " and its bicubic reach (" << length
                                       << " samples) do not fit between the walls of a field of " << extent);
    return -start + static_cast<std::int64_t>(r % static_cast<std::uint64_t>(room + 1));
  };
  const auto wraps = src.periodicity();
  return {draw(mix64(patch_seed), src.rows(), reach.row0, reach.rows, wraps.rows),
          draw(mix64(patch_seed ^ 0x5bd1e995ULL), src.cols(), reach.col0, reach.cols, wraps.cols)};
}

at::Tensor Dataset::read_channels(const FieldSource& src, std::int64_t snapshot, std::int64_t row0, std::int64_t nrows,
                                 std::int64_t col0, std::int64_t ncols) const {
  std::vector<at::Tensor> planes;
  for (const auto c : config_.channels) planes.push_back(src.read_window(snapshot, c, row0, nrows, col0, ncols));
  return torch::stack(planes);
}

at::Tensor Dataset::normalise(const at::Tensor& x) const { return (x - mean_) * inverse_std_; }

Sample Dataset::get(std::int64_t index, std::uint64_t patch_seed) const {
  const Locator at = locate(index);
  const SourceEntry& e = sources_[at.source];
  const FieldSource& src = *e.source;
  const std::int64_t p = config_.patch, h = src.rows(), w = src.cols();
  const auto [row0, col0] = patch_origin(src, patch_seed);
  Sample s;
  auto c = conditioning(config_, task_, e.reynolds);
  s.cond = torch::tensor(c, torch::kFloat);
  if (task_ == Task::SuperResolution) {
    const WindowSpec spec = sr_read_window(row0, col0, p, config_.factor, config_.sr_upsampling);
    const at::Tensor window = read_channels(src, at.snapshot, spec.row0, spec.rows, spec.col0, spec.cols);
    SrPatch sp = sr_patch_from_window(window, spec, row0, col0, p, config_.factor, h, w, config_.sr_upsampling);
    s.input = normalise(sp.upsampled).contiguous();
    s.base = s.input;
    // The mean cancels in the difference.
    s.residual = residual(sp.truth * inverse_std_, sp.upsampled * inverse_std_).contiguous();
  } else {
    const std::int64_t t = at.snapshot, hz = config_.horizon;
    auto frame = [&](std::int64_t snap) { return normalise(read_channels(src, snap, row0, p, col0, p)); };
    at::Tensor prev = frame(t - hz), cur = frame(t), next = frame(t + hz);
    s.input = torch::cat({prev, cur});
    s.base = cur;
    s.residual = residual(next, cur);
  }
  return s;
}

}  // namespace flex::data
