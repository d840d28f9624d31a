#include "flex/infer/outputs.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

namespace flex::infer {

std::string with_suffix(const std::string& path, const std::string& suffix) {
  std::filesystem::path p(path);
  const auto ext = p.extension().string();
  p.replace_extension();
  return p.string() + suffix + (ext.empty() ? ".h5" : ext);
}

std::string baselines_path(const std::string& path) { return output::sidecar(path, ".baselines.h5"); }

std::vector<std::string> output_paths(const OutputSpec& spec) {
  std::vector<std::string> out{spec.path};
  if (spec.members > 1) out.push_back(with_suffix(spec.path, ".members"));
  if (spec.with_truth) out.push_back(with_suffix(spec.path, ".truth"));
  if (!spec.baselines.empty()) out.push_back(baselines_path(spec.path));
  return out;
}

InferenceOutputs::InferenceOutputs(const OutputSpec& spec, MPI_Comm comm) {
  io::WriterOptions opt;
  opt.overwrite = spec.overwrite;
  opt.dx = opt.dy = spec.dx;
  opt.channel_names = spec.channels;
  opt.streamed = spec.streamed;
  opt.resume = spec.resume;
  const long C = static_cast<long>(spec.channels.size());
  mean_ = std::make_unique<io::FieldWriter>(spec.path, comm, io::FieldShape{spec.snapshots, C, spec.height, spec.width},
                                            opt);
  if (spec.members > 1) {
    // Sample-major, member-minor (entry n*K + k): the layout `flex analyze`
    // reads with analyze.ensemble_members = K.
    members_ = std::make_unique<io::FieldWriter>(with_suffix(spec.path, ".members"), comm,
                                                 io::FieldShape{spec.snapshots * spec.members, C, spec.height,
                                                                spec.width},
                                                 opt);
    members_->set_attribute("members", static_cast<double>(spec.members));
  }
  if (spec.with_truth)
    truth_ = std::make_unique<io::FieldWriter>(with_suffix(spec.path, ".truth"), comm,
                                               io::FieldShape{spec.snapshots, C, spec.height, spec.width}, opt);
  if (!spec.baselines.empty()) {
    auto named = opt;
    named.channel_names.clear();  // the `channels` attribute `flex analyze` reads
    for (const auto& baseline : spec.baselines)
      for (const auto& channel : spec.channels) named.channel_names.push_back(C == 1 ? baseline : baseline + "." + channel);
    const long b = static_cast<long>(named.channel_names.size());
    baselines_ = std::make_unique<io::FieldWriter>(baselines_path(spec.path), comm,
                                                   io::FieldShape{spec.snapshots, b, spec.height, spec.width}, named);
  }
}

std::vector<io::FieldWriter*> InferenceOutputs::files() const {
  std::vector<io::FieldWriter*> out;
  for (auto* w : {mean_.get(), members_.get(), truth_.get(), baselines_.get()})
    if (w) out.push_back(w);
  return out;
}

void InferenceOutputs::write_rect(io::FieldWriter& w, long n0, const decomp::Rect& where, const at::Tensor& part) {
  const auto s = w.shape();
  FLEX_CHECK(part.dim() == 4 && part.size(1) == s.c && part.size(2) == where.rows.size() &&
                 part.size(3) == where.cols.size(),
             w.path() << ": block " << part.sizes() << " does not match [., " << s.c << ", " << where.rows.size()
                      << ", " << where.cols.size() << "]");
  const auto data = part.contiguous();
  w.write(io::Hyperslab{n0, part.size(0), 0, s.c, where.rows.begin, where.rows.size(), where.cols.begin,
                        where.cols.size()},
          data.data_ptr<float>());
}

void InferenceOutputs::write_block(long n, const decomp::Rect& block, const at::Tensor& mean, const at::Tensor& members,
                                   const at::Tensor& truth, const at::Tensor& baselines) {
  write_rect(*mean_, n, block, mean.unsqueeze(0));
  if (members_) write_rect(*members_, n * members.size(0), block, members);
  if (truth_) {
    FLEX_CHECK(truth.defined(), "truth requested but not given");
    write_rect(*truth_, n, block, truth.unsqueeze(0));
  }
  if (baselines_) {
    FLEX_CHECK(baselines.defined() && baselines.dim() == 4, "baselines [B, C, h, w] requested but not given");
    // Explicit sizes: an empty block has no -1 to infer.
    write_rect(*baselines_, n, block,
               baselines.reshape({1, baselines.size(0) * baselines.size(1), baselines.size(2), baselines.size(3)}));
  }
}

void InferenceOutputs::mark_complete(long entries) {
  for (auto* w : files()) w->flush();
  set_attribute(kCompleteAttribute, static_cast<double>(entries));
  for (auto* w : files()) w->flush();
}

void InferenceOutputs::set_attribute(const std::string& name, double value) {
  for (auto* w : files()) w->set_attribute(name, value);
}
void InferenceOutputs::set_attribute(const std::string& name, const std::vector<double>& values) {
  for (auto* w : files()) w->set_attribute(name, values);
}
void InferenceOutputs::set_attribute(const std::string& name, const std::string& value) {
  for (auto* w : files()) w->set_attribute(name, value);
}

void InferenceOutputs::close() {
  for (auto* w : files()) w->close();
}

std::vector<std::string> InferenceOutputs::paths() const {
  std::vector<std::string> out;
  for (auto* w : files()) out.push_back(w->path());
  return out;
}

}  // namespace flex::infer
