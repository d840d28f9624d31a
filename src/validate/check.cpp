// The judging helpers of check.hpp: a Result from a measurement and its criterion.
#include <sstream>

#include "flex/validate/check.hpp"

namespace flex::validate {

std::string format_number(double x, int digits) {
  std::ostringstream s;
  s.precision(digits);
  s << x;
  return s.str();
}

Result within(const std::string& check, const std::string& quantity, double measured, double lo, double hi,
              const std::string& note) {
  return {check, quantity, measured, "in [" + format_number(lo, 10) + ", " + format_number(hi, 10) + "]", measured >= lo && measured <= hi,
          note, 0.0};
}

Result below(const std::string& check, const std::string& quantity, double measured, double limit,
             const std::string& note) {
  return {check, quantity, measured, "<= " + format_number(limit, 10), measured <= limit, note, 0.0};
}

Result at_least(const std::string& check, const std::string& quantity, double measured, double limit,
                const std::string& note) {
  return {check, quantity, measured, ">= " + format_number(limit, 10), measured >= limit, note, 0.0};
}

}  // namespace flex::validate
