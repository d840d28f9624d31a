#include "flex/core/signals.hpp"

#include <csignal>

#include "flex/core/error.hpp"

namespace flex {
namespace {
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }
struct sigaction g_old_usr1, g_old_term;
}  // namespace

SignalWatch::SignalWatch() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, &g_old_usr1);
  sigaction(SIGTERM, &sa, &g_old_term);
}

SignalWatch::~SignalWatch() {
  sigaction(SIGUSR1, &g_old_usr1, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int SignalWatch::poll(MPI_Comm comm) const {
  // Any rank's signal stops them all: a user's `kill` or a node agent may reach one rank only.
  const int mine = g_signal;
  int sig = 0;
  FLEX_CHECK_MPI(MPI_Allreduce(&mine, &sig, 1, MPI_INT, MPI_MAX, comm));
  return sig;
}

void SignalWatch::clear() { g_signal = 0; }

}  // namespace flex
