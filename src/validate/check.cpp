// The judging helpers of check.hpp: a Result from a measurement and its criterion.
#include <sstream>

#include "flex/validate/check.hpp"

namespace flex::validate {

namespace {
std::string number(double x) {
  std::ostringstream s;
  s.precision(10);
  s << x;
  return s.str();
}
}  // namespace

Result within(const std::string& check, const std::string& quantity, double measured, double lo, double hi,
              const std::string& note) {
  return {check, quantity, measured, "in [" + number(lo) + ", " + number(hi) + "]", measured >= lo && measured <= hi,
          note, 0.0};
}

Result below(const std::string& check, const std::string& quantity, double measured, double limit,
             const std::string& note) {
  return {check, quantity, measured, "<= " + number(limit), measured <= limit, note, 0.0};
}

}  // namespace flex::validate
