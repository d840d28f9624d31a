// A tiny trainable module, in-memory data and per-test directories shared by
// every rank, for tests of the training loop's faults and inputs.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/data/dataset.hpp"
#include "flex/train/trainer.hpp"
#include "test_deck.hpp"

namespace flex::tiny {

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 1, 3).padding(1)));
    stat = register_buffer("stat", torch::zeros({1}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return conv(x.narrow(1, 0, 1)); }
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor stat;  // a buffer, as batch statistics are: the EMA copies it
};
TORCH_MODULE(TinyNet);

class TinyTrainModel : public train::TrainModel {
 public:
  explicit TinyTrainModel(int init_seed = 1) {
    torch::manual_seed(init_seed);
    net = TinyNet();
  }
  torch::nn::Module& module() override { return *net; }
  at::Tensor loss(const data::Batch& b, std::uint64_t) override {
    ++calls;
    // What a NaN batch does to running statistics while the loss stays finite.
    if (calls == poison_buffer_at) net->stat.fill_(std::numeric_limits<float>::quiet_NaN());
    return (net->forward(b.input) - b.residual).abs().mean();
  }
  at::Tensor predict_residual(const data::Batch& b, std::uint64_t) override { return net->forward(b.input); }
  TinyNet net{nullptr};
  int calls = 0, poison_buffer_at = -1;
};

inline int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// A fresh directory, the same on every rank (rank 0's pid).
inline std::string shared_dir(const std::string& tag) {
  std::string dir = "/tmp/flex_train_faults_" + tag + "_" + std::to_string(getpid());
  dir = mpi::broadcast(dir, MPI_COMM_WORLD);
  if (world_rank() == 0) std::filesystem::remove_all(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

// Runs `fn` on rank 0 only, then a barrier: file-system set-up every rank then sees.
template <class Fn>
void on_rank0(Fn&& fn) {
  if (world_rank() == 0) fn();
  MPI_Barrier(MPI_COMM_WORLD);
}

inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct TinyData {
  TinyData() {
    torch::manual_seed(3);
    src = data::tensor_source(torch::randn({24, 1, 16, 16}), 4000);
    data::SampleConfig c;
    c.channels = {0};
    c.patch = 8;
    c.factor = 4;
    c.norm_std = {1.0};
    sr = std::make_unique<data::Dataset>(
        std::vector<data::SourceEntry>{{src, 4000, data::select_snapshots("even", 24, "t")}}, Task::SuperResolution, c);
  }
  // 2 samples per rank and step, 4 steps, no checkpoints but the last, no export.
  train::TrainOptions options(const std::string& dir) const {
    train::TrainOptions o;
    o.batch = 2;
    o.steps = 4;
    o.lr = {1e-2, 1e-4, 1, 0};
    o.seed = 99;
    o.output_dir = dir;
    o.checkpoint_every = 0;
    o.log_every = 4;
    o.validation_batches = 0;
    o.prefetch = 0;
    o.export_name = "";
    return o;
  }
  std::shared_ptr<const data::FieldSource> src;
  std::unique_ptr<data::Dataset> sr;
};

}  // namespace flex::tiny
