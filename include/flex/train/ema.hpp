// Exponential moving average of the weights (SPEC §4, decay 0.999):
// shadow <- decay shadow + (1 - decay) param after every optimiser step;
// buffers are copied. Validation and the exported model use the shadow.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace flex::train {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

class Ema {
 public:
  // `state`: the module's parameters and buffers (aliases); shadow starts as a copy.
  Ema(NamedTensors state, double decay);
  void update();
  // Swaps live and shadow values (call twice to undo): evaluate with EMA weights in place.
  void swap();
  const NamedTensors& shadow() const { return shadow_; }
  void load_shadow(const NamedTensors& values);  // by name; all must be present
  double decay() const { return decay_; }

 private:
  NamedTensors live_, shadow_;
  double decay_;
};

// RAII: the module holds EMA weights while this lives.
class EmaScope {
 public:
  explicit EmaScope(Ema& ema) : ema_(ema) { ema_.swap(); }
  ~EmaScope() { ema_.swap(); }
  EmaScope(const EmaScope&) = delete;
  EmaScope& operator=(const EmaScope&) = delete;

 private:
  Ema& ema_;
};

}  // namespace flex::train
