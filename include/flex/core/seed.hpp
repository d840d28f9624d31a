// Every random stream in flex derives from the one deck seed (run.seed) and a
// tuple of stream ids (rank, member, patch, purpose...), so results never
// depend on how work happened to be split across ranks or batches.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace flex {

// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
std::uint64_t mix64(std::uint64_t x);

// Seed for the stream named by `ids` under `base`; distinct tuples give
// independent-looking seeds, and the same tuple always gives the same seed.
std::uint64_t derive_seed(std::uint64_t base, std::initializer_list<std::uint64_t> ids);

// Named purposes, so two subsystems never draw from the same stream.
enum class Stream : std::uint64_t {
  kInitialCondition = 1,
  kModelInit = 2,
  kDataOrder = 3,
  kDiffusionTime = 4,
  kDiffusionNoise = 5,
  kSamplerNoise = 6,
  kDropout = 7,
  kForcing = 8,
};

inline std::uint64_t derive_seed(std::uint64_t base, Stream s, std::initializer_list<std::uint64_t> ids) {
  std::uint64_t h = mix64(base ^ mix64(static_cast<std::uint64_t>(s)));
  for (auto id : ids) h = mix64(h ^ mix64(id + 0x9e3779b97f4a7c15ULL));
  return h;
}

}  // namespace flex
