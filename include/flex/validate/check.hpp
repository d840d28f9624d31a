// The validation suite: named checks, each measuring one quantity on this
// build and machine and judging it against its acceptance criterion. `flex
// validate` runs a selection and writes a Markdown and a JSON report.
#pragma once

#include <c10/core/Device.h>
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace flex::validate {

struct ValidateConfig;

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
  const ValidateConfig& config;
  c10::Device device;
};

struct Check {
  const char* name;
  const char* what;  // one line for the report and --help
  std::function<std::vector<Result>(const Context&)> run;
  // The keys the check needs that the config leaves unset; an empty
  // function: the check needs none.
  std::function<std::vector<std::string>(const ValidateConfig&)> missing = {};
};

// Every check, in report order.
const std::vector<Check>& checks();

// `x` with `digits` significant digits, for criteria and notes.
std::string format_number(double x, int digits);

// Judging helpers: a Result for `measured` within [lo, hi], at most or at least `limit`.
Result within(const std::string& check, const std::string& quantity, double measured, double lo, double hi,
              const std::string& note = "");
Result below(const std::string& check, const std::string& quantity, double measured, double limit,
             const std::string& note = "");
Result at_least(const std::string& check, const std::string& quantity, double measured, double limit,
                const std::string& note = "");

}  // namespace flex::validate
