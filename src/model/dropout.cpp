#include "flex/model/dropout.hpp"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "flex/core/error.hpp"

namespace flex::model {
namespace {

// lowbias32 integer hash (C. Wellons, "hash-prospector"): 32-bit multiplies
// only, so the fill loop vectorises.
inline std::uint32_t lowbias32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

}  // namespace

at::Tensor dropout_mask(at::IntArrayRef shape, double p, std::uint64_t seed) {
  FLEX_CHECK(p >= 0 && p < 1, "dropout probability must be in [0, 1), got " << p);
  auto mask = torch::empty(shape, torch::kFloat);
  float* out = mask.data_ptr<float>();
  const double keep = 1.0 - p;
  const float scale = static_cast<float>(1.0 / keep);
  // keep the element when hash < keep * 2^32
  const auto threshold = static_cast<std::uint32_t>(std::min(keep * 4294967296.0, 4294967295.0));
  const std::int64_t n = mask.numel();
  constexpr std::int64_t block = std::int64_t{1} << 32;  // indices past 2^32 get a fresh key
  at::parallel_for(0, n, 1 << 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end;) {
      const std::int64_t stop = std::min(end, (i / block + 1) * block);
      const std::uint32_t key = lowbias32(static_cast<std::uint32_t>(seed >> 32) ^
                                          lowbias32(static_cast<std::uint32_t>(i / block) + 0x9e3779b9U)) ^
                                static_cast<std::uint32_t>(seed);
      for (std::int64_t j = i; j < stop; ++j) {
        const std::uint32_t h = lowbias32(static_cast<std::uint32_t>(j) ^ key);
        out[j] = h < threshold ? scale : 0.0f;
      }
      i = stop;
    }
  });
  return mask;
}

at::Tensor dropout(const at::Tensor& x, double p, bool training) {
  if (!training || p == 0) return x;
  if (!x.device().is_cpu() || !x.is_floating_point()) return torch::dropout(x, p, true);
  const auto seed = static_cast<std::uint64_t>(
      torch::randint(std::numeric_limits<std::int64_t>::max(), {1}, torch::kLong).item<std::int64_t>());
  // The mask indexes elements in logical (NCHW) order, so it is the same in
  // every memory layout; a bf16 x times the fp32 mask is fp32, as 1/(1-p) is
  // not exact in bf16.
  return x * dropout_mask(x.sizes(), p, seed);
}

}  // namespace flex::model
