#include "flex/dns/run.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/signals.hpp"
#include "flex/core/profiler.hpp"
#include "flex/dns/checkpoint.hpp"
#include "flex/dns/fft_wisdom.hpp"
#include "flex/dns/initial.hpp"
#include "flex/dns/snapshots.hpp"
#include "flex/dns/solver.hpp"
#include "flex/io/fields.hpp"

namespace fs = std::filesystem;

namespace flex::dns {

namespace {

using mpi::on_root;

bool non_empty_dir(const std::string& dir) { return fs::is_directory(dir) && !fs::is_empty(dir); }

// Output checks before any work; returns the checkpoint to continue from ("" for a fresh start).
std::string check_outputs(const RunConfig& c, MPI_Comm comm) {
  std::string checkpoint;
  const bool automatic = c.restart == "auto";
  if (c.restart == "latest" || automatic) {
    checkpoint = latest_checkpoint(c.checkpoint_dir(), comm);
    FLEX_REQUIRE(automatic || !checkpoint.empty(), "dns.restart = latest: no checkpoint in " << c.checkpoint_dir());
  } else {
    checkpoint = c.restart;
  }
  on_root(comm, [&] {
    output::ensure_writable(c.field_path(), c.run.overwrite);
    if (!checkpoint.empty()) {
      FLEX_REQUIRE(fs::exists(checkpoint), "dns.restart = " << c.restart << ": " << checkpoint << " does not exist");
      return;
    }
    // auto without a checkpoint: this run died before its first one; start it again.
    for (const auto& dir : {c.parts_dir(), c.checkpoint_dir()})
      FLEX_REQUIRE(c.run.overwrite || automatic || !non_empty_dir(dir), dir << " holds an interrupted run: continue it with "
                                                              "dns.restart=latest, or set run.overwrite=true to "
                                                              "start afresh");
  });
  return checkpoint;
}

// The run's working folders: emptied for a fresh start, kept for a restart.
void create_run_dirs(const RunConfig& c, bool fresh, MPI_Comm comm) {
  on_root(comm, [&] {
    for (const auto& dir : {c.parts_dir(), c.checkpoint_dir()}) {
      if (fresh) fs::remove_all(dir);
      std::error_code ec;
      fs::create_directories(dir, ec);
      FLEX_REQUIRE(!ec, dir << ": cannot create (is run.output_dir writable?)");
    }
  });
}

std::string diagnostics_csv(const std::vector<DiagnosticRow>& rows) {
  std::ostringstream out;
  out << "step,t,energy,enstrophy,max_vorticity,cfl,dt\n";
  char line[256];
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%.0f,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", r[0], r[1], r[2], r[3], r[4],
                  r[5], r[6]);
    out << line;
  }
  return out.str();
}

void write_diagnostics(const RunConfig& c, const RunState& state, MPI_Comm comm) {
  on_root(comm, [&] { output::write_text_atomic(c.diagnostics_path(), diagnostics_csv(state.diagnostics)); });
}

// ω of one snapshot of dns.init_file; returns its time (0 if the file has none).
double read_initial_file(const RunConfig& c, Field& omega, MPI_Comm comm) {
  io::FieldReader reader(c.init_file, comm);
  const io::FieldShape shape = reader.shape();
  FLEX_REQUIRE(shape.h == c.n && shape.w == c.n, c.run.about("dns.init_file") << " = " << c.init_file << " holds "
                                                                               << shape.h << "x" << shape.w
                                                                               << " fields but grid.n = " << c.n);
  FLEX_REQUIRE(shape.c == 1 || shape.c == 3, c.run.about("dns.init_file") << " = " << c.init_file
                                                                          << ": expected 3 channels (u, v, ω) or one "
                                                                             "(ω), found "
                                                                          << shape.c);
  const long index = c.init_index < 0 ? shape.n - 1 : c.init_index;
  FLEX_REQUIRE(index < shape.n, c.run.about("dns.init_index") << " = " << c.init_index << " but " << c.init_file
                                                              << " holds " << shape.n << " snapshots");
  require_finite_initial_file(c, reader, index, comm);
  const Slab& s = omega.slab();
  const auto data = reader.read({index, 1, shape.c - 1, 1, s.row0, s.rows, 0, s.n});
  for (long i = 0; i < s.rows; ++i)
    for (long j = 0; j < s.n; ++j) omega(i, j) = data[i * s.n + j];
  if (!reader.has_attribute("time")) return 0.0;
  const auto times = reader.attribute_doubles("time");
  return static_cast<long>(times.size()) == shape.n ? times[index] : 0.0;
}

// Largest stable step at the target CFL: advective Δt max(|u|+|v|)/h = cfl, and
// the diffusive/drag reach of RK3 on the real axis (≈ 2.51) scaled alike.
double adaptive_dt(const RunConfig& c, const Physics& p, const Diagnostics& d, double h) {
  double dt = c.dt;
  if (d.max_speed > 0) dt = std::min(dt, c.cfl * h / d.max_speed);
  const double damping = 8.0 * p.inv_re / (h * h) + p.drag;
  if (damping > 0) dt = std::min(dt, c.cfl / kRk3CflLimit * kRk3DampingLimit / damping);
  return dt;
}

// The state the run starts from: a checkpoint's, or t0 with the deck's initial field.
RunState initial_state(const RunConfig& c, const std::string& checkpoint, Solver& solver) {
  RunState state;
  if (!checkpoint.empty()) {
    state = read_checkpoint(checkpoint, solver.mutable_vorticity(), solver.comm());
    FLEX_REQUIRE(state.re == c.re || (std::isinf(state.re) && std::isinf(c.re)),
                 checkpoint << ": written with dns.re = " << state.re << ", but dns.re = " << c.re);
    log::info("dns: continuing from ", checkpoint, " (step ", state.step, ", t = ", state.t, ")");
    return state;
  }
  if (c.init == "kraichnan") {
    kraichnan(solver.spectral(), c.k0, c.run.seed, solver.mutable_vorticity());
  } else if (c.init == "taylor_green") {
    taylor_green(c.tg_wavenumber, solver.mutable_vorticity());
  } else {
    state.t0 = read_initial_file(c, solver.mutable_vorticity(), solver.comm());
  }
  state.t = state.t0, state.re = c.re, state.seed = c.run.seed;
  return state;
}

// A fixed step must be stable on the starting field: RK3 reaches √3 on the
// imaginary axis (advection) and ≈ 2.51 on the real axis (5-point diffusion,
// eigenvalues down to −8/(Re h²), and drag).
void check_fixed_step(const RunConfig& c, double dt, Solver& solver) {
  const double h = solver.slab().h();
  const double cfl = cfl_number(solver.diagnostics(), dt, h);
  FLEX_REQUIRE(cfl <= kRk3CflLimit, "dns.dt = " << c.dt << " gives CFL " << cfl
                                                << " on the initial field, above the RK3 limit √3: lower dns.dt "
                                                   "or use dns.dt_mode=cfl");
  const double damping = 8.0 * solver.physics().inv_re / (h * h) + solver.physics().drag;
  FLEX_REQUIRE(dt * damping <= kRk3DampingLimit, "dns.dt = " << c.dt << " exceeds the RK3 diffusive stability limit "
                                                 << kRk3DampingLimit / damping << " for dns.re and grid.n");
}

// Measured FFT plans (dns.fft_planner = measure): a restart plans from the
// wisdom its run saved (the same plans, so it continues bit for bit); else
// from dns.fft_wisdom when given; else FFTW times them here.
void prepare_measured_plans(const RunConfig& c, const std::string& checkpoint, const Slab& slab, MPI_Comm comm) {
  if (!checkpoint.empty()) {
    if (try_load_fft_wisdom(c.wisdom_path(), comm)) {
      log::info("dns: FFT plans from ", c.wisdom_path());
      return;
    }
    log::warn("dns: ", c.wisdom_path(), " is missing or unreadable: this restart plans anew and agrees with an "
              "uninterrupted run to round-off only");
  }
  if (!c.fft_wisdom.empty()) {
    load_fft_wisdom(c.fft_wisdom, comm);
    log::info("dns: FFT plans from ", c.fft_wisdom);
    return;
  }
  Spectral timing(slab, comm, Planner::Measure);  // FFTW times the candidate plans
  settle_fft_wisdom(comm);  // the solver then plans as a restart from the saved wisdom will
}

}  // namespace

RunSummary run_dns_simulation(const RunConfig& c, MPI_Comm comm) {
  const std::string& deck_text = c.run.deck_text;
  int rank = 0, size = 1;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  const std::string checkpoint = check_outputs(c, comm);

  const Slab slab = Slab::of_rank(c.n, rank, size);
  const double h = slab.h();
  forget_fft_wisdom();  // plans from this run's own sources, not from earlier runs in this process
  if (c.planner == Planner::Measure) prepare_measured_plans(c, checkpoint, slab, comm);
  Solver solver(slab, comm, physics_of(c), c.planner);
  const RunState start = initial_state(c, checkpoint, solver);
  RunState state = start;
  const long count = snapshot_count(c, state.t0);
  FLEX_REQUIRE(count >= 1 && state.next_snapshot <= count,
               "dns.t_end = " << c.t_end << " ends before the run's time " << state.t);
  // Fixed steps: the interval split into equal steps no longer than dns.dt.
  const double steps_per_snapshot = std::max(1.0, std::ceil(c.snapshot_interval / c.dt * (1.0 - 1e-12)));
  const double fixed_dt = c.snapshot_interval / steps_per_snapshot;
  if (!c.adaptive_dt) check_fixed_step(c, fixed_dt, solver);
  const Physics& physics = solver.physics();
  create_run_dirs(c, checkpoint.empty(), comm);
  if (c.planner == Planner::Measure) save_fft_wisdom(c.wisdom_path(), comm);
  log::info("dns: ", c.n, "² grid on ", size, " rank(s), Re = ", c.re, ", ", count, " snapshots to t = ",
            state.t0 + (count - 1) * c.snapshot_interval, " → ", c.field_path());

  SnapshotStore store(c, slab, comm, state.next_snapshot);
  if (state.next_snapshot == 0) {
    store.add(state.t0, solver.vorticity(), solver.streamfunction());
    state.next_snapshot = 1;
  }
  RunSummary summary;
  SignalWatch signals;  // SIGUSR1/SIGTERM: checkpoint at the next step on every rank and stop
  const double wall_start = MPI_Wtime();
  const double t_last = state.t0 + (count - 1) * c.snapshot_interval;
  auto save_checkpoint = [&] {
    FLEX_PROFILE("dns::checkpoint");
    store.flush();  // every snapshot before the checkpoint is on disk
    write_checkpoint(checkpoint_name(c.checkpoint_dir(), state.step), solver.vorticity(), state, comm);
    write_diagnostics(c, state, comm);
  };
  while (state.next_snapshot < count) {
    const Diagnostics d = solver.diagnostics();
    FLEX_REQUIRE(std::isfinite(d.energy) && std::isfinite(d.max_speed),
               "the solution blew up at step " << state.step << ", t = " << state.t << ": lower dns.dt / dns.cfl");
    const double target = state.t0 + state.next_snapshot * c.snapshot_interval;
    double dt = c.adaptive_dt ? adaptive_dt(c, physics, d, h) : fixed_dt;
    const bool lands = state.t + dt * (1.0 + 1e-6) >= target;
    if (lands) dt = target - state.t;
    const double cfl = cfl_number(d, dt, h);
    FLEX_REQUIRE(cfl <= kRk3CflLimit, "CFL " << cfl << " above the RK3 limit √3 at step " << state.step << ", t = "
                                           << state.t << ": lower dns.dt or use dns.dt_mode=cfl");
    if (state.step % c.diagnostics_interval == 0)
      state.diagnostics.push_back({double(state.step), state.t, d.energy, d.enstrophy, d.max_vorticity, cfl, dt});
    if (state.step % c.progress_interval == 0) {
      const double wall = MPI_Wtime() - wall_start;
      const double rate = summary.steps > 0 ? summary.steps / wall : 0.0;
      const double sim_rate = wall > 0 ? (state.t - start.t) / wall : 0.0;
      log::progress("dns", state.step,
                    {{"t", state.t},
                     {"dt", dt},
                     {"energy", d.energy},
                     {"enstrophy", d.enstrophy},
                     {"cfl", cfl},
                     {"steps_per_s", rate},
                     {"eta_s", sim_rate > 0 ? (t_last - state.t) / sim_rate : 0.0}});
    }
    solver.step(dt);
    ++state.step, ++summary.steps;
    state.t = lands ? target : state.t + dt;
    if (lands) {
      FLEX_PROFILE("dns::snapshot");
      store.add(state.t, solver.vorticity(), solver.streamfunction());
      ++state.next_snapshot;
    }
    const bool unfinished = state.next_snapshot < count;
    const int signal = unfinished ? signals.poll(comm) : 0;
    const bool stop = unfinished && (signal != 0 || (c.max_steps > 0 && summary.steps >= c.max_steps));
    if ((c.checkpoint_interval > 0 && state.step % c.checkpoint_interval == 0) || stop) save_checkpoint();
    if (stop) {
      log::info("dns: stopped after ", summary.steps, " steps (", signal != 0 ? "signal " + std::to_string(signal)
                                                                            : std::string("dns.max_steps"),
                ") at t = ", state.t, "; continue with dns.restart=latest");
      // The deck goes with what the run produced: here its checkpoint, to continue from.
      on_root(comm, [&] { output::write_text_atomic(c.deck_path(), deck_text); });
      summary.stopped_by_signal = signal != 0;
      summary.total_steps = state.step, summary.snapshots = state.next_snapshot, summary.t = state.t;
      return summary;
    }
  }
  const Diagnostics d = solver.diagnostics();
  state.diagnostics.push_back({double(state.step), state.t, d.energy, d.enstrophy, d.max_vorticity, 0.0, 0.0});
  write_diagnostics(c, state, comm);
  {
    FLEX_PROFILE("dns::assemble");
    store.finish(count, [&](io::FieldWriter& w) {
      w.set_attribute("Re", c.re);
      w.set_attribute("dt", c.adaptive_dt ? c.dt : fixed_dt);
      w.set_attribute("dt_mode", c.adaptive_dt ? "cfl" : "fixed");
      w.set_attribute("grid", std::vector<double>{double(c.n), double(c.n)});
      w.set_attribute("seed", static_cast<double>(c.run.seed));
      w.set_attribute("init", c.init);
      w.set_attribute("deck", deck_text);
    });
  }
  on_root(comm, [&] {
    output::write_text_atomic(c.deck_path(), deck_text);  // only now, beside the field it made
    fs::remove_all(c.checkpoint_dir());
  });
  log::info("dns: ", state.step, " steps to t = ", state.t, ", ", count, " snapshots in ", c.field_path(),
            ", diagnostics in ", c.diagnostics_path());
  summary.total_steps = state.step, summary.snapshots = count, summary.t = state.t, summary.finished = true;
  return summary;
}

int run(const RunConfig& config, MPI_Comm comm) { return run_dns_simulation(config, comm).stopped_by_signal ? 3 : 0; }

}  // namespace flex::dns
