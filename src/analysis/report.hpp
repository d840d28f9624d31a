// Text forms of the analysis results: CSV tables and JSON documents. Pure
// string building; writing is done atomically by the caller.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flex::analysis {

// Shortest round-trip text of a double; "nan", "inf", "-inf" as they are.
std::string number_text(double x);

class CsvTable {
 public:
  explicit CsvTable(std::vector<std::string> columns);
  // Cells in column order; strings are quoted when they contain a comma or a quote.
  class Row {
   public:
    Row& operator<<(const std::string& cell);
    Row& operator<<(const char* cell) { return *this << std::string(cell); }
    Row& operator<<(double value);
    Row& operator<<(long value);
    Row& operator<<(int value) { return *this << static_cast<long>(value); }

   private:
    friend class CsvTable;
    std::vector<std::string> cells_;
  };
  Row& row();
  std::string text() const;  // throws if a row has the wrong number of cells
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
};

// A JSON document as written to disk: 2-space indent, a final newline, keys in
// the order they were added (ordered_json), NaN and infinities as null (JSON
// has neither), bytes that are not UTF-8 (odd file names) replaced, not thrown on.
std::string json_text(const nlohmann::ordered_json& document);

}  // namespace flex::analysis
