// The validation suite: named checks, each measuring one quantity on this
// build and machine and judging it against its acceptance criterion. `flex
// validate` runs a selection and writes a Markdown and a JSON report.
#pragma once

#include <c10/core/Device.h>
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace flex {
class Deck;
}

namespace flex::validate {

struct Result {
  std::string check;      // "dns.jacobian_order"
  std::string quantity;   // what was measured
  double measured = 0;
  std::string criterion;  // "in [1.9, 2.1]"
  bool passed = false;
  std::string note;       // context: the numbers behind the measurement
  double seconds = 0;
  bool skipped = false;   // inputs not configured: neither passed nor failed
};

struct Context {
  MPI_Comm comm;
  const Deck& deck;
  c10::Device device;
};

struct Check {
  const char* name;
  const char* what;  // one line for the report and --help
  std::function<std::vector<Result>(const Context&)> run;
  // Deck keys that must be set for the check to run (empty: none).
  std::vector<const char*> needs = {};
};

// Every check, in report order.
const std::vector<Check>& checks();

// Judging helpers: a Result for `measured` within [lo, hi] or below `limit`.
Result within(const std::string& check, const std::string& quantity, double measured, double lo, double hi,
              const std::string& note = "");
Result below(const std::string& check, const std::string& quantity, double measured, double limit,
             const std::string& note = "");

}  // namespace flex::validate
