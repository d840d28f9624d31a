#include "metrics_log.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

namespace flex::train {

namespace {

// Whole numbers (epoch, step counts) stay JSON integers and non-finite values
// (a skipped update's loss) become null, as readers of earlier files expect.
nlohmann::ordered_json metric_value(double v) {
  if (!std::isfinite(v)) return nullptr;
  if (v == std::trunc(v) && std::abs(v) < 1e15) return static_cast<std::int64_t>(v);
  return v;
}

}  // namespace

void MetricsLog::open(const std::string& path, bool append) {
  path_ = path;
  out_.open(path, append ? std::ios::app : std::ios::trunc);
  FLEX_REQUIRE(out_.is_open(), path << ": cannot open for writing (is run.output_dir writable?)");
}

void MetricsLog::write(std::int64_t step, const log::Fields& fields) {
  if (!out_.is_open()) return;
  nlohmann::ordered_json record;
  record["step"] = step;
  for (const auto& [key, value] : fields) record[key] = metric_value(value);
  out_ << record.dump() << "\n";
  out_.flush();  // a killed run keeps every record so far
  if (!out_.good()) output::write_failed(path_, "cannot append the training record of step " + std::to_string(step));
}

}  // namespace flex::train
