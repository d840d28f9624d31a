#include "flex/core/error.hpp"

#include <mpi.h>

namespace flex::detail {

namespace {
std::string basename_of(const char* path) {
  std::string p(path);
  const auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}
}  // namespace

void throw_error(const char* file, int line, const std::string& what) {
  throw Error(what + " [" + basename_of(file) + ":" + std::to_string(line) + "]");
}

void throw_input_error(const std::string& what) { throw InputError(what); }

void throw_mpi_error(const char* file, int line, const char* call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);  // unchecked: this is the error path
  throw_error(file, line, std::string(call) + " failed: " + std::string(text, len));
}

}  // namespace flex::detail
