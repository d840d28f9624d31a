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

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
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

Json::Json(double x) : kind_(Kind::Number), number_(x) {}
Json::Json(const std::string& s) : kind_(Kind::String), string_(s) {}

Json Json::object() {
  Json j;
  j.kind_ = Kind::Object;
  return j;
}
Json Json::array() {
  Json j;
  j.kind_ = Kind::Array;
  return j;
}

Json& Json::operator[](const std::string& key) {
  if (kind_ == Kind::Null) kind_ = Kind::Object;
  FLEX_CHECK(kind_ == Kind::Object, "JSON: member '" << key << "' of a non-object");
  for (auto& m : members_)
    if (m.first == key) return m.second;
  members_.emplace_back(key, Json());
  return members_.back().second;
}

Json& Json::push(Json value) {
  if (kind_ == Kind::Null) kind_ = Kind::Array;
  FLEX_CHECK(kind_ == Kind::Array, "JSON: push onto a non-array");
  elements_.push_back(std::move(value));
  return elements_.back();
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out + "\n";
}

void Json::dump_to(std::string& out, int indent, int depth) const {
  const std::string pad(static_cast<size_t>(indent * (depth + 1)), ' '), end_pad(static_cast<size_t>(indent * depth), ' ');
  switch (kind_) {
    case Kind::Null: out += "null"; return;
    case Kind::Number: out += std::isfinite(number_) ? number_text(number_) : "null"; return;  // JSON has no NaN
    case Kind::String: out += json_string(string_); return;
    case Kind::Object:
      if (members_.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      for (size_t i = 0; i < members_.size(); ++i) {
        out += pad + json_string(members_[i].first) + ": ";
        members_[i].second.dump_to(out, indent, depth + 1);
        out += i + 1 < members_.size() ? ",\n" : "\n";
      }
      out += end_pad + "}";
      return;
    case Kind::Array:
      if (elements_.empty()) {
        out += "[]";
        return;
      }
      out += "[";
      for (size_t i = 0; i < elements_.size(); ++i) {
        out += i ? ", " : "";
        elements_[i].dump_to(out, indent, depth + 1);
      }
      out += "]";
      return;
  }
}

}  // namespace flex::analysis
