// bench_train_memory [--sizes S,M,L] [--img 256] [--batches 1,2] [--threads 2]:
// the peak tensor memory of one FLEX training step (SR diffusion loss,
// forward + backward; gradients and activations, not the weights made before it) with and without
// train.activation_checkpointing, per model size and batch, measured by
// counting LibTorch's CPU tensor allocations (model/tensor_memory.hpp); and
// the step time of each, whose ratio is the price of the recomputation.
// Memory is linear in the batch: from two batches it also prints the fixed
// part (gradients, one block's replay; the weights predate the meter) and the per-sample part, so any batch follows.
// The optimiser state is not in the step: Lion adds 4 B per parameter, the
// EMA another 4 (AdamW 8 + 4).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "flex/core/system_info.hpp"
#include "flex/data/dataset.hpp"
#include "flex/model/backbone.hpp"
#include "flex/model/recompute.hpp"
#include "flex/model/shapes.hpp"
#include "flex/model/tensor_memory.hpp"
#include "flex/train/flex_model.hpp"

using namespace flex;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string w; std::getline(in, w, ',');) out.push_back(w);
  return out;
}

struct Step {
  double peak_mb = 0, seconds = 0;
};

// One SR training step's forward + backward on a random batch.
Step measure(train::TrainModel& m, torch::nn::Module& net, long batch, long img) {
  data::Batch b;
  b.task = Task::SuperResolution;
  torch::manual_seed(3);
  b.input = torch::randn({batch, 1, img, img});
  b.base = b.input.clone();
  b.residual = torch::randn({batch, 1, img, img});
  b.cond = torch::rand({batch, 1});
  for (long i = 0; i < batch; ++i) b.indices.push_back(i);
  for (auto& p : net.parameters()) p.mutable_grad() = at::Tensor();
  Step s;
  model::TensorMemoryMeter meter;
  const auto t0 = std::chrono::steady_clock::now();
  m.loss(b, 42).backward();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.peak_mb = static_cast<double>(meter.peak_bytes()) / 1e6;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  sysinfo::keep_freed_memory();  // the allocator policy of the flex executable (src/main.cpp)
  std::string sizes = "S,M,L", batches = "1,2";
  long img = 256, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--sizes")) sizes = argv[i + 1];
    if (!std::strcmp(argv[i], "--batches")) batches = argv[i + 1];
    if (!std::strcmp(argv[i], "--img")) img = std::stol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::stol(argv[i + 1]);
  }
  at::set_num_threads(static_cast<int>(threads));
  std::printf("bench_train_memory: LibTorch %s, %ld thread(s), BLAS %s; CPU features: %s\n", TORCH_VERSION, threads,
              sysinfo::active_blas().c_str(), sysinfo::cpu_features().c_str());
  std::printf("%-6s %12s %6s %14s %14s %7s %10s %10s %7s\n", "size", "parameters", "batch", "plain MB",
              "recomputed MB", "ratio", "plain s", "recomp. s", "ratio");
  for (const auto& size : split(sizes)) {
    model::BackboneConfig c;
    c.flex = model::flex_config_for_size(size);
    c.flex.img = img;
    c.flex.tasks = model::TaskSet::SuperResolution;
    auto net = model::make_backbone(c, 1);
    net.module->train();
    auto m = train::make_flex_train_model(net, c10::Device(c10::kCPU), {});
    const auto params = model::count_parameters(*net.module);
    std::vector<long> bs;
    std::vector<Step> plain, recomputed;
    for (const auto& w : split(batches)) {
      const long batch = std::stol(w);
      model::set_activation_checkpointing(*net.module, false);
      const Step p = measure(*m, *net.module, batch, img);
      model::set_activation_checkpointing(*net.module, true);
      const Step r = measure(*m, *net.module, batch, img);
      std::printf("%-6s %12lld %6ld %14.1f %14.1f %7.3f %10.2f %10.2f %7.3f\n", size.c_str(),
                  static_cast<long long>(params), batch, p.peak_mb, r.peak_mb, r.peak_mb / p.peak_mb, p.seconds,
                  r.seconds, r.seconds / p.seconds);
      std::fflush(stdout);
      bs.push_back(batch), plain.push_back(p), recomputed.push_back(r);
    }
    if (bs.size() >= 2 && bs.back() != bs.front()) {
      const double db = static_cast<double>(bs.back() - bs.front());
      auto line = [&](const char* what, const std::vector<Step>& v) {
        const double per = (v.back().peak_mb - v.front().peak_mb) / db;
        std::printf("  FLEX-%s %-10s peak = %.1f MB + %.1f MB per sample\n", size.c_str(), what,
                    v.front().peak_mb - per * static_cast<double>(bs.front()), per);
      };
      line("plain", plain);
      line("recomputed", recomputed);
    }
  }
  return 0;
}
