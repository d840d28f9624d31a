#include "flex/core/error.hpp"

#include <mpi.h>

#include <atomic>

namespace flex {
namespace {
std::atomic<bool> g_abandoned{false};
thread_local bool g_agreed = false;
}  // namespace
void note_collectives_abandoned() { g_abandoned = true; }
bool collectives_abandoned() { return g_abandoned; }
bool agreed_error_unwinding() { return g_agreed; }
void set_agreed_error_unwinding(bool agreed) { g_agreed = agreed; }
}  // namespace flex

namespace flex::detail {

namespace {
std::string basename_of(const char* path) {
  std::string p(path);
  const auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}
}  // namespace

void throw_error(const char* file, int line, const std::string& what) {
  set_agreed_error_unwinding(false);
  throw Error(what + " [" + basename_of(file) + ":" + std::to_string(line) + "]");
}

void throw_input_error(const std::string& what) {
  set_agreed_error_unwinding(false);
  throw InputError(what);
}

void throw_mpi_error(const char* file, int line, const char* call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);  // unchecked: this is the error path
  throw_error(file, line, std::string(call) + " failed: " + std::string(text, len));
}

}  // namespace flex::detail
