#include "flex/infer/outputs.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"

namespace flex::infer {

std::string with_suffix(const std::string& path, const std::string& suffix) {
  std::filesystem::path p(path);
  const auto ext = p.extension().string();
  p.replace_extension();
  return p.string() + suffix + (ext.empty() ? ".h5" : ext);
}

InferenceOutputs::InferenceOutputs(const OutputSpec& spec, MPI_Comm comm) : comm_(comm) {
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank_));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size_));
  io::WriterOptions opt;
  opt.overwrite = spec.overwrite;
  opt.dx = opt.dy = spec.dx;
  opt.channel_names = {"w"};
  mean_ = std::make_unique<io::FieldWriter>(spec.path, comm, io::FieldShape{spec.snapshots, 1, spec.height, spec.width},
                                            opt);
  if (spec.members > 1) {
    // Sample-major, member-minor (entry n*K + k): the layout `flex analyze`
    // reads with analyze.ensemble_members = K.
    members_ = std::make_unique<io::FieldWriter>(with_suffix(spec.path, ".members"), comm,
                                                 io::FieldShape{spec.snapshots * spec.members, 1, spec.height,
                                                                spec.width},
                                                 opt);
    members_->set_attribute("members", static_cast<double>(spec.members));
  }
  if (spec.with_truth)
    truth_ = std::make_unique<io::FieldWriter>(with_suffix(spec.path, ".truth"), comm,
                                               io::FieldShape{spec.snapshots, 1, spec.height, spec.width}, opt);
}

void InferenceOutputs::write_rows(io::FieldWriter& w, long n0, const at::Tensor& planes) {
  const auto s = w.shape();
  const auto rows = mpi::share(s.h, rank_, size_);
  auto slab = planes.narrow(1, rows.begin, rows.size()).contiguous();  // [entries, rows, W]
  w.write(io::Hyperslab{n0, planes.size(0), 0, 1, rows.begin, rows.size(), 0, s.w}, slab.data_ptr<float>());
}

void InferenceOutputs::write(long n, const at::Tensor& mean, const at::Tensor& members, const at::Tensor& truth) {
  write_rows(*mean_, n, mean.unsqueeze(0));
  if (members_) write_rows(*members_, n * members.size(0), members);
  if (truth_) {
    FLEX_CHECK(truth.defined(), "truth requested but not given");
    write_rows(*truth_, n, truth.unsqueeze(0));
  }
}

void InferenceOutputs::set_attribute(const std::string& name, double value) {
  for (auto* w : {mean_.get(), members_.get(), truth_.get()})
    if (w) w->set_attribute(name, value);
}
void InferenceOutputs::set_attribute(const std::string& name, const std::vector<double>& values) {
  for (auto* w : {mean_.get(), members_.get(), truth_.get()})
    if (w) w->set_attribute(name, values);
}
void InferenceOutputs::set_attribute(const std::string& name, const std::string& value) {
  for (auto* w : {mean_.get(), members_.get(), truth_.get()})
    if (w) w->set_attribute(name, value);
}

void InferenceOutputs::close() {
  for (auto* w : {mean_.get(), members_.get(), truth_.get()})
    if (w) w->close();
}

std::vector<std::string> InferenceOutputs::paths() const {
  std::vector<std::string> out;
  for (auto* w : {mean_.get(), members_.get(), truth_.get()})
    if (w) out.push_back(w->path());
  return out;
}

}  // namespace flex::infer
