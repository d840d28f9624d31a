// What the decomp tests share: random fields, and the block of one.
#pragma once

#include <random>
#include <vector>

#include "flex/decomp/blocks.hpp"

namespace flex::decomp::testing {

inline std::vector<float> random_field(long h, long w, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.f, 5.f);
  std::vector<float> f(static_cast<size_t>(h * w));
  for (auto& x : f) x = dist(gen);
  return f;
}

// The pixels of `b` of a row-major field `width` wide, row-major.
inline std::vector<float> block_of(const std::vector<float>& field, long width, const Rect& b) {
  std::vector<float> out;
  for (long i = b.rows.begin; i < b.rows.end; ++i)
    for (long j = b.cols.begin; j < b.cols.end; ++j) out.push_back(field[static_cast<size_t>(i * width + j)]);
  return out;
}

}  // namespace flex::decomp::testing
