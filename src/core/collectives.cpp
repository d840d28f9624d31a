#include "flex/core/collectives.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "flex/core/error.hpp"

namespace flex::mpi {

bool any(bool local, MPI_Comm comm) {
  int in = local ? 1 : 0, out = 0;
  FLEX_CHECK_MPI(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm));
  return out != 0;
}

namespace {
template <class T>
T reduce(T local, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  T out{};
  FLEX_CHECK_MPI(MPI_Allreduce(&local, &out, 1, type, op, comm));
  return out;
}
}  // namespace

void idle_barrier(MPI_Comm comm) {
  MPI_Request request;
  FLEX_CHECK_MPI(MPI_Ibarrier(comm, &request));
  for (int done = 0;;) {
    FLEX_CHECK_MPI(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool barrier_within(MPI_Comm comm, double seconds) {
  MPI_Request request;
  if (MPI_Ibarrier(comm, &request) != MPI_SUCCESS) return false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (int done = 0;;) {
    if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return false;
    if (done) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

double sum(double local, MPI_Comm comm) { return reduce(local, MPI_DOUBLE, MPI_SUM, comm); }
double max(double local, MPI_Comm comm) { return reduce(local, MPI_DOUBLE, MPI_MAX, comm); }
double min(double local, MPI_Comm comm) { return reduce(local, MPI_DOUBLE, MPI_MIN, comm); }
long sum(long local, MPI_Comm comm) { return reduce(local, MPI_LONG, MPI_SUM, comm); }

std::string broadcast(const std::string& value, MPI_Comm comm, int root) {
  long len = static_cast<long>(value.size());
  FLEX_CHECK_MPI(MPI_Bcast(&len, 1, MPI_LONG, root, comm));
  std::string out = value;
  out.resize(static_cast<size_t>(len));
  FLEX_CHECK_MPI(MPI_Bcast(out.data(), static_cast<int>(len), MPI_CHAR, root, comm));
  return out;
}

void agree(MPI_Comm comm, const std::function<void()>& work) {
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  if (size == 1) return work();  // nobody to tell: the error propagates as it is
  std::string error;
  int input = 0;
  try {
    work();
  } catch (const InputError& e) {
    error = e.what(), input = 1;
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  }
  int mine = error.empty() ? size : rank, first = size;
  FLEX_CHECK_MPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) return;
  FLEX_CHECK_MPI(MPI_Bcast(&input, 1, MPI_INT, first, comm));
  error = broadcast(error, comm, first);
  set_agreed_error_unwinding(true);
  if (input) throw InputError(error);
  throw Error(error);
}

void on_root(MPI_Comm comm, const std::function<void()>& work) {
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  agree(comm, [&] {
    if (rank == 0) work();
  });
}

Range share(long count, int rank, int size) {
  // Remainder spread over the first ranks: sizes differ by at most one.
  const long base = count / size, extra = count % size;
  const long begin = rank * base + std::min<long>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace flex::mpi
