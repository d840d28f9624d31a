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
  // A failed append (a full disk) is an InputError: records are never dropped silently.
  void write(std::int64_t step, const log::Fields& fields);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace flex::train
