#include "report.hpp"

#include <cmath>
#include <cstdio>

#include "flex/core/error.hpp"

namespace flex::analysis {

std::string number_text(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {  // shortest text that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

namespace {
std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

CsvTable::CsvTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}

CsvTable::Row& CsvTable::Row::operator<<(const std::string& cell) {
  cells_.push_back(csv_cell(cell));
  return *this;
}
CsvTable::Row& CsvTable::Row::operator<<(double value) {
  cells_.push_back(number_text(value));
  return *this;
}
CsvTable::Row& CsvTable::Row::operator<<(long value) {
  cells_.push_back(std::to_string(value));
  return *this;
}

CsvTable::Row& CsvTable::row() {
  rows_.emplace_back();
  return rows_.back();
}

std::string CsvTable::text() const {
  std::string out;
  for (size_t i = 0; i < columns_.size(); ++i) out += (i ? "," : "") + csv_cell(columns_[i]);
  out += "\n";
  for (const auto& r : rows_) {
    FLEX_CHECK(r.cells_.size() == columns_.size(),
               "CSV row with " << r.cells_.size() << " cells for " << columns_.size() << " columns");
    for (size_t i = 0; i < r.cells_.size(); ++i) out += (i ? "," : "") + r.cells_[i];
    out += "\n";
  }
  return out;
}

std::string json_text(const nlohmann::ordered_json& document) {
  return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace flex::analysis
