// The field files one inference run writes, each [N, C, H, W] float32 with
// each rank writing its block (C: the predicted channels): <stem>.h5
// (ensemble mean, [N, C, H, W]), <stem>.members.h5 (when K > 1: [N*K, C, H,
// W], entry n*K + k is member k of field n), <stem>.truth.h5 (the reference
// the prediction is scored against, when known) and <stem>.baselines.h5
// ([N, B*C, H, W], the baselines of baselines.hpp as channels, baseline-major,
// attribute `channels` naming them: `<baseline>` for C = 1, else
// `<baseline>.<channel>`).
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "flex/decomp/blocks.hpp"
#include "flex/io/fields.hpp"

namespace flex::infer {

struct OutputSpec {
  std::string path;  // <stem>.h5
  long snapshots = 0, height = 0, width = 0, members = 1;
  bool with_truth = false;
  std::vector<std::string> channels{"w"};  // names of the predicted channels, as the input calls them
  std::vector<std::string> baselines;  // channel names of <stem>.baselines.h5; empty: no such file
  bool overwrite = false;
  double dx = 1.0;
  // Forecasts: every file streamed (io::WriterOptions::streamed), entries
  // written as they come and marked complete (mark_complete); resume: the
  // files exist and this run continues them.
  bool streamed = false, resume = false;
};

// Attribute of every streamed output file: how many entries (leads) are
// completely written; a file whose count is below its size is a run cut short.
constexpr const char* kCompleteAttribute = "complete";

class InferenceOutputs {
 public:
  InferenceOutputs(const OutputSpec& spec, MPI_Comm comm);
  // Collective: this rank's block (field rows x columns) of entry n, the
  // tensors over the block only: mean/truth [C, h, w], members [K, C, h, w],
  // baselines [B, C, h, w] (required when the spec names baselines).
  void write_block(long n, const decomp::Rect& block, const at::Tensor& mean, const at::Tensor& members,
                   const at::Tensor& truth, const at::Tensor& baselines = {});
  // Streamed: entries [0, entries) of every file are on disk; recorded in
  // kCompleteAttribute after their data, so the count never runs ahead of it.
  void mark_complete(long entries);
  // Same attribute on every file.
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, const std::vector<double>& values);
  void set_attribute(const std::string& name, const std::string& value);
  void close();
  std::vector<std::string> paths() const;

 private:
  // part [entries, C, h, w] at `where` of entries n0 .. n0 + entries - 1.
  void write_rect(io::FieldWriter& w, long n0, const decomp::Rect& where, const at::Tensor& part);
  std::vector<io::FieldWriter*> files() const;
  std::unique_ptr<io::FieldWriter> mean_, members_, truth_, baselines_;
};

// The files a spec makes: <stem>.h5, then .members, .truth and .baselines as it asks.
std::vector<std::string> output_paths(const OutputSpec& spec);
std::string with_suffix(const std::string& path, const std::string& suffix);  // a/b.h5 + ".members" -> a/b.members.h5
std::string baselines_path(const std::string& path);  // a/b.h5 -> a/b.baselines.h5 (output::sidecar)

}  // namespace flex::infer
