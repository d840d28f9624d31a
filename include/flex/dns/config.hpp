// The `flex dns` deck: keys (grid.*, dns.*), and the validated run settings
// read from them. Every check that can fail on user input happens here,
// before any field is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flex/core/config.hpp"
#include "flex/dns/spectral.hpp"
#include "flex/dns/stencils.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::dns {

void declare_keys(DeckSchema& schema);

struct RunConfig {
  long n = 0;
  double re = 0;  // may be +inf
  std::string init;  // kraichnan | taylor_green | file
  double k0 = 10;
  long tg_wavenumber = 1;
  std::string init_file;
  long init_index = -1;
  std::string forcing;  // none | kolmogorov
  double forcing_amplitude = 0;
  long forcing_wavenumber = 0;
  double drag = 0;
  bool adaptive_dt = false;
  double dt = 0;   // fixed step, or the largest step when adaptive
  double cfl = 0;  // adaptive target
  double t_end = 0;
  double snapshot_interval = 0;
  long checkpoint_interval = 0;   // steps; 0: none
  long max_steps = 0;             // steps per invocation; 0: to t_end
  long diagnostics_interval = 1;  // steps
  long progress_interval = 10;    // steps
  std::vector<std::string> channels;  // subset of u, v, w in that order
  std::string output_name;
  std::string restart;  // "", "latest" or a checkpoint path
  Planner planner = Planner::Estimate;
  std::string fft_wisdom;  // wisdom to plan a fresh measured run from ("" : time the plans)
  RunSettings run;  // run.*: seed, output_dir, overwrite, the resolved deck

  // Files of the run, all inside output_dir.
  std::string field_path() const;        // <dir>/<name>
  std::string parts_dir() const;         // <dir>/<stem>.parts: one file per snapshot until the run ends
  std::string checkpoint_dir() const;    // <dir>/<stem>.checkpoints
  std::string diagnostics_path() const;  // <dir>/<stem>_diagnostics.csv
  std::string deck_path() const;         // <dir>/<stem>.deck.ini (output::resolved_deck_path)
  std::string wisdom_path() const;       // <dir>/<stem>.fftw_wisdom: the measured plans (dns.fft_planner = measure)
};

// Reads and validates the deck for a run on `ranks` ranks (InputError naming
// the key otherwise).
RunConfig read_config(const Deck& deck, int ranks);

// L's non-advective terms for this configuration (1/Re, drag, forcing per column).
Physics physics_of(const RunConfig& config);

// Snapshot times t0 + k Δt_snap, k = 0 … count − 1, up to t_end.
long snapshot_count(const RunConfig& config, double t0);

}  // namespace flex::dns
