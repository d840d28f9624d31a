// Errors: InputError for what the user can fix (deck, files, shapes), Error
// for broken invariants (carries file:line). Both end the job on every rank.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace flex {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A problem with the user's input: the message alone tells them what to fix.
class InputError : public Error {
 public:
  using Error::Error;
};

// A collective resource (a parallel file) released unclosed by an error on
// one rank marks the process: it must end with MPI_Abort, not a normal
// MPI_Finalize that would try to close it (see Environment::end_with_error).
void note_collectives_abandoned();
bool collectives_abandoned();

// True from the moment mpi::agree raises an error on every rank until the next
// error is raised: while it unwinds, every rank leaves the same scopes in the
// same order, so collective closes in destructors still match.
bool agreed_error_unwinding();
void set_agreed_error_unwinding(bool agreed);

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, const std::string& what);
[[noreturn]] void throw_input_error(const std::string& what);
[[noreturn]] void throw_mpi_error(const char* file, int line, const char* call, int code);
}  // namespace detail

}  // namespace flex

// FLEX_CHECK(cond, a << b): internal invariant; message gets file:line.
#define FLEX_CHECK(cond, msg)                                         \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::ostringstream flex_msg_;                                   \
      flex_msg_ << msg;                                               \
      ::flex::detail::throw_error(__FILE__, __LINE__, flex_msg_.str()); \
    }                                                                 \
  } while (0)

// FLEX_REQUIRE(cond, a << b): user input check; message must name file/key.
#define FLEX_REQUIRE(cond, msg)                              \
  do {                                                       \
    if (!(cond)) {                                           \
      std::ostringstream flex_msg_;                          \
      flex_msg_ << msg;                                      \
      ::flex::detail::throw_input_error(flex_msg_.str());    \
    }                                                        \
  } while (0)

#define FLEX_CHECK_MPI(call)                                              \
  do {                                                                    \
    int flex_rc_ = (call);                                                \
    if (flex_rc_ != 0) ::flex::detail::throw_mpi_error(__FILE__, __LINE__, #call, flex_rc_); \
  } while (0)
