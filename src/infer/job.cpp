#include "job.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/data/dataset.hpp"
#include "flex/infer/baselines.hpp"
#include "flex/io/channel_selection.hpp"
#include "flex/io/finite.hpp"

namespace flex::infer {

void require_finite_input(const InferConfig& c, Task task, const io::FieldReader& reader,
                          const std::vector<std::int64_t>& channels, const std::vector<std::int64_t>& snapshots,
                          MPI_Comm comm) {
  std::vector<long> read;
  if (task == Task::SuperResolution) {
    read.assign(snapshots.begin(), snapshots.end());
  } else {
    // forecast_file: frames start - horizon and start, then the truth of
    // every lead the file holds, start + k*horizon.
    const long h = c.horizon, t0 = c.start, n = reader.shape().n;
    const long known = std::min<long>(c.rollout, (n - 1 - t0) / h);
    for (long k = -1; k <= known; ++k) read.push_back(t0 + k * h);
  }
  io::require_finite(reader, read, std::vector<long>(channels.begin(), channels.end()), comm, "infer.input");
}

Job open_job(const InferConfig& c, Task task, c10::Device device, MPI_Comm comm) {
  c.require_inputs();
  const bool sr = task == Task::SuperResolution;
  io::FieldReader reader(c.input, comm, c.layout);
  const auto shape = reader.shape();
  const auto names = reader.channel_names();
  // A multi-channel network without a sidecar to name its channels sees them all.
  const bool all = c.channels == "auto" && c.model.flex.in_channels > 1;
  const std::string about_channel = c.about("infer.channel") + " = " + c.channels;
  const auto channels = io::select_channels(all ? "all" : c.channels, names, about_channel, c.input);
  const auto C = static_cast<std::int64_t>(channels.size());
  FLEX_REQUIRE(C == c.model.flex.in_channels && C == c.model.flex.out_channels,
               about_channel << " selects " << C << " channel(s) of " << c.input << " but the network has "
                                        << "model.in_channels = " << c.model.flex.in_channels
                                        << " and model.out_channels = " << c.model.flex.out_channels);
  const auto norm = [&](const std::vector<double>& values, const char* key) {
    return torch::tensor(io::per_channel(values, channels.size(), c.about(key)), torch::kDouble)
        .to(torch::kFloat)
        .view({C, 1, 1});
  };
  auto norm_mean = norm(c.norm_mean, "infer.norm_mean"), norm_std = norm(c.norm_std, "infer.norm_std");
  const bool lowres = sr && c.lowres_input;
  FLEX_REQUIRE(!sr || lowres || (shape.h % c.factor == 0 && shape.w % c.factor == 0),
               c.about("infer.factor") << " = " << c.factor << ": the field " << shape.h << "x" << shape.w << " of "
                                       << c.input << " is not divisible by it");
  const long H = lowres ? shape.h * c.factor : shape.h, W = lowres ? shape.w * c.factor : shape.w;
  const long patch = c.model.flex.img;
  const auto boundary = c.boundaries_for(reader.format());
  decomp::Tiling tiling({H, W, patch, c.halo, boundary});
  // Forecasting addresses raw snapshots (infer.start, infer.horizon), no list.
  std::vector<std::int64_t> snapshots;
  if (sr) {
    snapshots = data::select_snapshots(c.snapshots, shape.n, c.about("infer.snapshots"));
    FLEX_REQUIRE(!snapshots.empty(), c.about("infer.snapshots") << " selects no snapshot of " << c.input);
  } else {
    FLEX_REQUIRE(c.start < shape.n, c.about("infer.start") << " = " << c.start << " is not a snapshot of " << c.input
                                                           << ", which has " << shape.n << " (indices 0 to "
                                                           << shape.n - 1 << ")");
  }
  const auto n_pos = static_cast<long>(snapshots.size());
  if (c.run.check_finite) require_finite_input(c, task, reader, channels, snapshots, comm);

  auto sampling = make_sampling(c, device, task, reynolds_of(c, reader), comm);
  OutputSpec out;
  out.path = c.output;
  out.snapshots = sr ? n_pos : c.rollout;
  out.height = H, out.width = W, out.members = sampling.members;
  out.with_truth = sr && !lowres;
  out.channels.clear();
  for (const auto ch : channels) out.channels.push_back(names[static_cast<size_t>(ch)]);
  out.baselines = baseline_names(task);
  out.overwrite = c.run.overwrite;
  out.dx = 2 * M_PI / static_cast<double>(H);
  int ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  const std::string what = sr ? "super-resolution x" + std::to_string(c.factor)
                              : "forecast from snapshot " + std::to_string(c.start) + " in steps of " +
                                    std::to_string(c.horizon) + " (" +
                                    (c.feedback == Feedback::Mean ? "ensemble mean" : "each member") + " fed back)";
  log::info("infer: ", what, " of ", c.input, " (", io::format_name(reader.format()), ", ", H, "x", W, ", channel ",
            io::channels_text(out.channels),
            ", boundary ", decomp::boundaries_name(boundary), ") with ", model::describe(sampling.config), "; ", tiling.count(), " patches of ", patch,
            "^2, halo ", c.halo, ", ", sampling.members, " member(s), ", sampling.sampler.steps, " DDIM steps, ",
            ranks, " rank(s)");
  return Job{std::move(reader), channels, norm_mean, norm_std, std::move(sampling), std::move(tiling),
             std::move(snapshots), out};
}

void record_tiling(InferenceOutputs& out, const decomp::Tiling& tiling) {
  out.set_attribute("patch", static_cast<double>(tiling.spec().patch));
  out.set_attribute("halo", static_cast<double>(tiling.spec().halo));
  out.set_attribute("boundary", decomp::boundaries_name(tiling.spec().boundary));
}

at::Tensor read_plane(const io::FieldReader& reader, long n, long channel) {
  const auto s = reader.shape();
  auto plane = torch::empty({s.h, s.w}, torch::kFloat32);
  reader.read(io::Hyperslab{n, 1, channel, 1, 0, s.h, 0, s.w}, plane.data_ptr<float>());
  return plane;
}

at::Tensor read_channels(const io::FieldReader& reader, long n, const std::vector<std::int64_t>& channels) {
  std::vector<at::Tensor> planes;
  for (const auto ch : channels) planes.push_back(read_plane(reader, n, ch));
  return torch::stack(planes);
}

namespace {

// One axis of a window: at most two ranges of samples [begin, end) and the
// position in their concatenation of each window entry.
struct AxisWindow {
  std::array<std::pair<long, long>, 2> ranges{};
  std::vector<std::int64_t> order;
};

AxisWindow axis_window(data::LowResWindow w, long samples) {
  AxisWindow a;
  const auto mod = [&](long i) { return ((i % samples) + samples) % samples; };
  if (w.count >= samples) {  // a field narrower than the window: every sample, some twice
    a.ranges[0] = {0, samples};
    for (long k = 0; k < w.count; ++k) a.order.push_back(mod(w.begin + k));
    return a;
  }
  const long b = mod(w.begin);
  a.ranges[0] = {b, std::min(samples, b + w.count)};
  if (b + w.count > samples) a.ranges[1] = {0, b + w.count - samples};
  for (long k = 0; k < w.count; ++k) a.order.push_back(k);
  return a;
}

}  // namespace

at::Tensor read_window(const io::FieldReader& reader, long n, const std::vector<std::int64_t>& channels,
                       data::LowResWindow rows, data::LowResWindow cols, long stride) {
  const auto s = reader.shape();
  const AxisWindow r = axis_window(rows, s.h / stride), c = axis_window(cols, s.w / stride);
  // Only the samples are read: a strided hyperslab from the first one.
  const auto stored = [&](std::pair<long, long> range) {  // (first stored row, samples)
    return range.second > range.first ? std::pair<long, long>{range.first * stride, range.second - range.first}
                                      : std::pair<long, long>{0, 0};
  };
  std::vector<at::Tensor> planes;
  for (const auto ch : channels) {
    std::vector<at::Tensor> row_parts;
    for (const auto& rr : r.ranges) {
      std::vector<at::Tensor> parts;
      const auto [h0, nh] = stored(rr);
      for (const auto& cr : c.ranges) {
        const auto [w0, nw] = stored(cr);
        auto box = torch::empty({nh, nw}, torch::kFloat32);
        reader.read(io::Hyperslab{n, 1, ch, 1, h0, nh, w0, nw, stride}, box.data_ptr<float>());
        if (nh > 0 && nw > 0) parts.push_back(box);
      }
      if (!parts.empty()) row_parts.push_back(torch::cat(parts, 1));
    }
    if (row_parts.empty()) {  // an empty window (a rank without a block)
      planes.push_back(torch::empty({rows.count, cols.count}, torch::kFloat32));
      continue;
    }
    const auto joined = torch::cat(row_parts, 0);
    planes.push_back(joined.index_select(0, torch::tensor(r.order, torch::kLong))
                         .index_select(1, torch::tensor(c.order, torch::kLong)));
  }
  return torch::stack(planes).contiguous();
}

at::Tensor read_block(const io::FieldReader& reader, long n, const std::vector<std::int64_t>& channels,
                      const decomp::Rect& b) {
  auto out = torch::empty({static_cast<std::int64_t>(channels.size()), b.rows.size(), b.cols.size()}, torch::kFloat32);
  for (size_t k = 0; k < channels.size(); ++k) {
    auto plane = out[static_cast<std::int64_t>(k)];
    reader.read(io::Hyperslab{n, 1, channels[k], 1, b.rows.begin, b.rows.size(), b.cols.begin, b.cols.size()},
                plane.data_ptr<float>());
  }
  return out;
}

at::Tensor normalised(const Job& job, const at::Tensor& fields) { return (fields - job.norm_mean) / job.norm_std; }

at::Tensor in_field_units(const Job& job, const at::Tensor& normalised) {
  return normalised * job.norm_std + job.norm_mean;
}

namespace {

// The decomposition and what a rank holds, once (rank 0's log line): the
// largest block and the largest reach (of any ranks), against the whole field
// the ranks used to hold.
void log_decomposition(const decomp::BlockDecomposition& d, long members, long channels) {
  long block = 0, reach = 0;
  for (int r = 0; r < d.size(); ++r) {
    block = std::max(block, d.block(r).count());
    reach = std::max(reach, d.reach(r).count());
  }
  const auto& s = d.tiling().spec();
  log::info("infer: ", d.dims()[0], "x", d.dims()[1], " blocks over ", d.size(), " rank(s); the largest block ",
            block, " pixels, the largest reach ", reach, " (stitching ", members * channels, " plane(s) of ",
            static_cast<double>((members * channels + 1) * reach * 8) / 1e6, " MB per rank; the whole field: ",
            s.height * s.width, " pixels)");
}

}  // namespace

std::unique_ptr<decomp::BlockDecomposition> block_decomposition(const InferConfig& c, const Job& job, MPI_Comm comm) {
  int ranks = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &ranks));
  const auto grid = c.decomposition;
  FLEX_REQUIRE(grid[0] == 0 || grid[0] * grid[1] == ranks,
               c.about("infer.decomposition") << " = " << grid[0] << "x" << grid[1] << " is " << grid[0] * grid[1]
                                              << " blocks for " << ranks << " rank(s)");
  auto d = std::make_unique<decomp::BlockDecomposition>(job.tiling, comm, grid);
  log_decomposition(*d, job.sampling.members, static_cast<long>(job.channels.size()));
  return d;
}

void finish(const InferConfig& c, const OutputSpec& out, MPI_Comm comm) {
  mpi::on_root(comm, [&] { output::write_text_atomic(output::resolved_deck_path(out.path), c.run.deck_text); });
  log::info("infer: wrote ", out.path);
}

}  // namespace flex::infer
