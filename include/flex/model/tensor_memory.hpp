// The CPU tensor memory in use and its peak, counted while a meter lives: the
// meter puts a counting allocator in front of LibTorch's CPU allocator. This
// is the memory of activations, gradients and weights (what a GPU's caching
// allocator would hold), not the libraries' scratch space or the process RSS.
// One meter at a time; tensors allocated under one may outlive it, and the
// counts include them until they are freed (take differences).
#pragma once

#include <cstdint>

namespace flex::model {

class TensorMemoryMeter {
 public:
  TensorMemoryMeter();
  ~TensorMemoryMeter();
  TensorMemoryMeter(const TensorMemoryMeter&) = delete;
  TensorMemoryMeter& operator=(const TensorMemoryMeter&) = delete;

  std::int64_t current_bytes() const;  // allocated through a meter and not yet freed
  std::int64_t peak_bytes() const;     // the most current_bytes() has been since construction or reset
  void reset_peak();                   // peak := current
};

}  // namespace flex::model
