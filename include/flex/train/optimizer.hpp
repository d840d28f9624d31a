// Optimisers with checkpointable state: Lion (the paper's) and AdamW.
// Parameters whose gradient is undefined (unused by this step's graph, e.g.
// the other task's encoder) are skipped, state and all.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace flex::train {

struct OptimizerOptions {
  std::string name = "lion";  // lion | adamw
  double beta1 = 0.9, beta2 = 0.99;
  double eps = 1e-8;          // AdamW only
  double weight_decay = 0.0;  // decoupled: p <- p (1 - lr wd)
};

class Optimizer {
 public:
  explicit Optimizer(std::vector<at::Tensor> params, OptimizerOptions options)
      : params_(std::move(params)), options_(std::move(options)) {}
  virtual ~Optimizer() = default;
  // One update with learning rate `lr` from the parameters' .grad.
  virtual void step(double lr) = 0;
  void zero_grad();  // gradients become undefined

  // State as named tensors (for checkpoints); load accepts what save wrote.
  virtual std::map<std::string, at::Tensor> state() const = 0;
  virtual void load_state(const std::map<std::string, at::Tensor>& state) = 0;

  const std::vector<at::Tensor>& parameters() const { return params_; }
  const OptimizerOptions& options() const { return options_; }

 protected:
  std::vector<at::Tensor> params_;
  OptimizerOptions options_;
};

// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Alg. 2):
//   c = b1 m + (1 - b1) g;  p <- p (1 - lr wd) - lr sign(c);  m <- b2 m + (1 - b2) g.
class Lion : public Optimizer {
 public:
  using Optimizer::Optimizer;
  void step(double lr) override;
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

 private:
  std::vector<at::Tensor> m_;
};

// AdamW (Loshchilov & Hutter 2019) with bias correction, per-parameter step counts.
class AdamW : public Optimizer {
 public:
  using Optimizer::Optimizer;
  void step(double lr) override;
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

 private:
  std::vector<at::Tensor> m_, v_;
  std::vector<std::int64_t> steps_;
};

std::unique_ptr<Optimizer> make_optimizer(std::vector<at::Tensor> params, const OptimizerOptions& options);

}  // namespace flex::train
