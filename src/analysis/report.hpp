// Text forms of the analysis results: CSV tables and a small JSON document.
// Pure string building; writing is done atomically by the caller.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace flex::analysis {

// Shortest round-trip text of a double; "nan"/"inf" in CSV, null in JSON.
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

// A JSON value built from nested objects, arrays, numbers and strings.
class Json {
 public:
  Json() = default;  // null
  Json(double x);
  Json(long x) : Json(static_cast<double>(x)) {}
  Json(int x) : Json(static_cast<double>(x)) {}
  Json(const std::string& s);
  Json(const char* s) : Json(std::string(s)) {}
  static Json object();
  static Json array();

  Json& operator[](const std::string& key);  // object member, created in insertion order
  Json& push(Json value);                    // array element
  std::string dump(int indent = 2) const;

 private:
  enum class Kind { Null, Number, String, Object, Array } kind_ = Kind::Null;
  double number_ = 0;
  std::string string_;
  std::vector<std::pair<std::string, Json>> members_;
  std::vector<Json> elements_;
  void dump_to(std::string& out, int indent, int depth) const;
};

}  // namespace flex::analysis
