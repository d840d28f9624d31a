#include "flex/dns/config.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "flex/core/deck.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"
#include "flex/dns/diagnostics.hpp"

namespace flex::dns {

void declare_keys(DeckSchema& s) {
  s.add_int("grid.n", 256, "grid points per direction on the periodic box [0, 2π]²; even, divisible by the rank count")
      .range(8, 1 << 16);
  // A string key: deck reals must be finite, and Re = inf is meaningful here.
  s.add_string("dns.re", "8000", "Reynolds number 1/ν (a real > 0); inf turns the viscous term off");
  s.add_choice("dns.init", "kraichnan", {"kraichnan", "taylor_green", "file"},
               "initial vorticity: Kraichnan spectrum with random phases, Taylor–Green vortex, or a snapshot of "
               "dns.init_file");
  s.add_real("dns.k0", 10, "peak wavenumber k0 of the Kraichnan spectrum E(k) = A k⁴ exp(−(k/k0)²)").range(0.5, {});
  s.add_int("dns.tg_wavenumber", 1, "wavenumber m of the Taylor–Green vortex ω = 2m cos(mx) cos(my)").range(1, {});
  s.add_path("dns.init_file", "", "field file to continue from when dns.init = file (ω is channel 2 of `fields`, "
                                  "or the `w` dataset)");
  s.add_int("dns.init_index", -1, "snapshot of dns.init_file to start from; −1: the last").range(-1, {});
  s.add_choice("dns.forcing", "none", {"none", "kolmogorov"},
               "none: decaying turbulence (the NSKT data); kolmogorov: body force A sin(n y) x̂");
  s.add_real("dns.forcing_amplitude", 1.0, "Kolmogorov forcing amplitude A").range(0, {});
  s.add_int("dns.forcing_wavenumber", 4, "Kolmogorov forcing wavenumber n").range(1, {});
  s.add_real("dns.drag", 0.0, "linear drag μ (−μω in the vorticity equation), for statistically steady forced runs")
      .range(0, {});
  s.add_choice("dns.dt_mode", "fixed", {"fixed", "cfl"},
               "fixed: steps of dns.dt (shortened evenly to land on snapshot times); cfl: adaptive steps at dns.cfl");
  s.add_real("dns.dt", 1e-3, "time step (fixed), or the largest step (cfl)");
  s.add_real("dns.cfl", 0.8, "target CFL number Δt·max(|u|+|v|)/h of adaptive steps; RK3 is stable up to √3");
  s.add_real("dns.t_end", 1.0, "end time (the run starts at t = 0, or at the time of the dns.init_file snapshot)");
  s.add_real("dns.snapshot_interval", 0.01, "simulated time between snapshots (the first is the initial field)");
  s.add_int("dns.checkpoint_interval", 0, "steps between checkpoints of the full double-precision state; 0: none")
      .range(0, {});
  s.add_int("dns.max_steps", 0,
            "steps this job takes before it checkpoints and stops (0: run to dns.t_end); continue with "
            "dns.restart=latest, e.g. to split a run over batch allocations")
      .range(0, {});
  s.add_int("dns.diagnostics_interval", 1, "steps between rows of the diagnostics CSV").range(1, {});
  s.add_int("dns.progress_interval", 10, "steps between PROGRESS lines").range(1, {});
  s.add_string("dns.channels", "u,v,w", "channels written per snapshot, any of u, v, w (ω) in that order");
  s.add_string("dns.output", "dns.h5", "field file name inside run.output_dir (diagnostics, deck, checkpoints "
                                       "are named after its stem)");
  s.add_string("dns.restart", "",
               "continue from a checkpoint: a .bin path; `latest`: the newest of this output; `auto`: the newest "
               "if there is one, else start (for requeued batch jobs); empty: start afresh");
  s.add_choice("dns.fft_planner", "estimate", {"estimate", "measure"},
               "FFTW planner: estimate gives identical plans every run; measure times them (1.3-1.5x faster steps) "
               "and keeps them in <stem>.fftw_wisdom, from which a restart plans the same (both restart bit-for-bit)");
  s.add_path("dns.fft_wisdom", "",
             "with dns.fft_planner = measure: plan a fresh run from this FFTW wisdom file (another run's "
             "<stem>.fftw_wisdom) instead of timing, e.g. to reproduce that run bit for bit");
}

namespace {

double parse_reynolds(const std::string& text, const std::string& about) {
  char* end = nullptr;
  const double re = std::strtod(text.c_str(), &end);
  FLEX_REQUIRE(!text.empty() && *end == '\0' && !std::isnan(re) && re > 0,
               about << " = '" << text << "' must be a real number > 0 (inf: inviscid)");
  return re;
}

// "<output_dir>/<stem of output_name><suffix>": the files that go with the field file.
std::string beside_output(const RunConfig& c, const std::string& suffix) {
  return (std::filesystem::path(c.run.output_dir) / (std::filesystem::path(c.output_name).stem().string() + suffix))
      .string();
}

}  // namespace

std::string RunConfig::field_path() const { return (std::filesystem::path(run.output_dir) / output_name).string(); }
std::string RunConfig::parts_dir() const { return beside_output(*this, ".parts"); }
std::string RunConfig::checkpoint_dir() const { return beside_output(*this, ".checkpoints"); }
std::string RunConfig::diagnostics_path() const { return beside_output(*this, "_diagnostics.csv"); }
std::string RunConfig::wisdom_path() const { return beside_output(*this, ".fftw_wisdom"); }
std::string RunConfig::deck_path() const { return output::resolved_deck_path(field_path()); }

RunConfig read_config(const Deck& deck, int ranks) {
  RunConfig c;
  c.run = read_run_settings(deck);
  c.n = deck.get_int("grid.n");
  FLEX_REQUIRE(c.n % 2 == 0, c.run.about("grid.n") << " = " << c.n << " must be even");
  FLEX_REQUIRE(c.n % ranks == 0, c.run.about("grid.n") << " = " << c.n << " is not divisible by the " << ranks
                                     << " ranks of this run (rows are split evenly over ranks)");
  c.re = parse_reynolds(deck.get_string("dns.re"), c.run.about("dns.re"));
  c.init = deck.get_string("dns.init");
  c.k0 = deck.get_real("dns.k0");
  FLEX_REQUIRE(c.init != "kraichnan" || c.k0 < c.n / 2.0,
               c.run.about("dns.k0") << " = " << c.k0 << " is not below the grid's largest wavenumber " << c.n / 2);
  c.tg_wavenumber = deck.get_int("dns.tg_wavenumber");
  FLEX_REQUIRE(c.init != "taylor_green" || c.tg_wavenumber < c.n / 2,
               c.run.about("dns.tg_wavenumber") << " = " << c.tg_wavenumber << " is not resolved by grid.n = " << c.n);
  c.init_file = deck.get_string("dns.init_file");
  c.init_index = deck.get_int("dns.init_index");
  FLEX_REQUIRE(c.init != "file" || !c.init_file.empty(), c.run.about("dns.init") << " = file needs dns.init_file");
  FLEX_REQUIRE(c.init != "file" || std::filesystem::exists(c.init_file),
               c.run.about("dns.init_file") << " = " << c.init_file << " does not exist");
  c.forcing = deck.get_string("dns.forcing");
  c.forcing_amplitude = deck.get_real("dns.forcing_amplitude");
  c.forcing_wavenumber = deck.get_int("dns.forcing_wavenumber");
  FLEX_REQUIRE(c.forcing == "none" || c.forcing_wavenumber < c.n / 2,
               c.run.about("dns.forcing_wavenumber") << " = " << c.forcing_wavenumber << " is not resolved by grid.n");
  c.drag = deck.get_real("dns.drag");
  c.adaptive_dt = deck.get_string("dns.dt_mode") == "cfl";
  c.dt = deck.get_real("dns.dt");
  FLEX_REQUIRE(std::isfinite(c.dt) && c.dt > 0, c.run.about("dns.dt") << " = " << c.dt << " must be > 0");
  c.cfl = deck.get_real("dns.cfl");
  FLEX_REQUIRE(c.cfl > 0 && c.cfl <= kRk3CflLimit,
               c.run.about("dns.cfl") << " = " << c.cfl << " must be in (0, √3 = 1.732], the stability limit of RK3");
  c.t_end = deck.get_real("dns.t_end");
  FLEX_REQUIRE(std::isfinite(c.t_end) && c.t_end >= 0, c.run.about("dns.t_end") << " = " << c.t_end << " must be ≥ 0");
  c.snapshot_interval = deck.get_real("dns.snapshot_interval");
  FLEX_REQUIRE(std::isfinite(c.snapshot_interval) && c.snapshot_interval > 0,
               c.run.about("dns.snapshot_interval") << " = " << c.snapshot_interval << " must be > 0");
  c.checkpoint_interval = deck.get_int("dns.checkpoint_interval");
  c.max_steps = deck.get_int("dns.max_steps");
  c.diagnostics_interval = deck.get_int("dns.diagnostics_interval");
  c.progress_interval = deck.get_int("dns.progress_interval");
  c.channels = deck.get_strings("dns.channels");
  const std::vector<std::string> order = {"u", "v", "w"};
  size_t next = 0;
  for (const auto& ch : c.channels) {
    while (next < order.size() && order[next] != ch) ++next;
    FLEX_REQUIRE(next < order.size(), c.run.about("dns.channels") << " = " << deck.get_string("dns.channels")
                                          << ": use distinct channels from u, v, w in that order");
    ++next;
  }
  FLEX_REQUIRE(!c.channels.empty(), c.run.about("dns.channels") << " is empty");
  c.output_name = deck.get_string("dns.output");
  FLEX_REQUIRE(!c.output_name.empty() && c.output_name.find('/') == std::string::npos,
               c.run.about("dns.output") << " = '" << c.output_name << "' must be a file name (the folder is run.output_dir)");
  c.restart = deck.get_string("dns.restart");
  c.planner = deck.get_string("dns.fft_planner") == "measure" ? Planner::Measure : Planner::Estimate;
  c.fft_wisdom = deck.get_string("dns.fft_wisdom");
  FLEX_REQUIRE(c.fft_wisdom.empty() || c.planner == Planner::Measure,
               c.run.about("dns.fft_wisdom") << " needs dns.fft_planner = measure (estimate plans do not use wisdom)");
  return c;
}

Physics physics_of(const RunConfig& c) {
  Physics p;
  p.inv_re = std::isinf(c.re) ? 0.0 : 1.0 / c.re;
  p.drag = c.drag;
  if (c.forcing == "kolmogorov") {
    // Body force A sin(n y) x̂ enters the vorticity equation as −∂f_x/∂y = −A n cos(n y).
    const double h = 2.0 * M_PI / static_cast<double>(c.n), k = static_cast<double>(c.forcing_wavenumber);
    p.forcing.resize(c.n);
    for (long j = 0; j < c.n; ++j) p.forcing[j] = -c.forcing_amplitude * k * std::cos(k * coordinate(j, h));
  }
  return p;
}

long snapshot_count(const RunConfig& c, double t0) {
  // Tolerance: t_end meant as a multiple of the interval counts its last snapshot.
  return static_cast<long>(std::floor((c.t_end - t0) / c.snapshot_interval * (1.0 + 1e-12) + 1e-9)) + 1;
}

}  // namespace flex::dns
