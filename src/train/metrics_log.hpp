// metrics.jsonl: one JSON object per record, {"step": N, <fields>...} in the
// fields' order. Only the rank that opened it writes; a resumed run appends.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "flex/core/log.hpp"

namespace flex::train {

class MetricsLog {
 public:
  // Call on the writing rank only; the others never open and write nothing.
  void open(const std::string& path, bool append);
  void write(std::int64_t step, const log::Fields& fields);

 private:
  std::ofstream out_;
};

}  // namespace flex::train
