// `flex model <action> ...`: the network as a user-facing object (parity with
// the authors' checkpoints, parameter counts, init, strict load check).
#include "commands.hpp"

#include <torch/torch.h>

#include <cstdio>
#include <string>

#include "flex/comm/runtime.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/config.hpp"
#include "flex/core/deck.hpp"
#include "flex/core/environment.hpp"
#include "flex/core/error.hpp"
#include "flex/core/log.hpp"
#include "flex/core/output.hpp"
#include "flex/core/seed.hpp"
#include "flex/diffusion/parity.hpp"
#include "flex/model/config.hpp"
#include "flex/model/flex.hpp"
#include "flex/model/shapes.hpp"
#include "flex/model/state_dict.hpp"

namespace flex::commands {

namespace {

const char* const kUsage =
    "<action> [arguments] [key=value ...]\n"
    "  parity <checkpoint.pt> <fixture.h5>  compare with the reference implementation's outputs\n"
    "  count [tiny|S|M|L]                    parameter counts per sub-network (model.* keys apply)\n"
    "  init <out.pt>                         write a freshly initialised checkpoint (run.seed)\n"
    "  check <checkpoint.pt>                 load a checkpoint into the configured network (strict)";

void need_args(const RunContext& ctx, std::size_t n, const char* what) {
  FLEX_REQUIRE(ctx.args.size() == n + 1, "flex model " << ctx.args[0] << ": expected " << what);
}

int parity(const RunContext& ctx) {
  need_args(ctx, 2, "<checkpoint.pt> <fixture.h5>");
  const auto run = read_run_settings(ctx.deck);
  const auto device = comm::configure_runtime(run, ctx.env.comm());
  const auto precision = model::parse_precision(run.precision);
  model::LayoutProbe probe;
  const auto fixture = diffusion::fixture_config(ctx.args[2]);
  probe.channels = fixture.channels.front(), probe.img = fixture.img, probe.backward = false, probe.device = device;
  probe.precision = precision;
  const auto layout = model::choose_memory_layout(model::parse_memory_layout(run.memory_format), probe);
  const auto r = diffusion::run_parity(ctx.args[1], ctx.args[2], device, precision, layout.layout);
  log::info("parity: ", model::describe(r.config));
  log::info("parity: precision ", model::precision_name(precision), ", memory format ", model::describe(layout));
  log::info("parity: checkpoint ", ctx.args[1], ", fixture ", ctx.args[2], ", device ", device.str());
  for (const auto& i : r.items) {
    char line[160];
    std::snprintf(line, sizeof line, "%-18s max|diff| %.3e  ref std %.3e  relative %.3e  %s", i.name.c_str(),
                  i.max_abs_diff, i.ref_std, i.relative(), i.relative() <= r.tolerance ? "ok" : "FAIL");
    log::info("parity: ", line);
  }
  log::info("parity: ", r.passed() ? "PASSED" : "FAILED", " (tolerance ", r.tolerance, " of the reference std)");
  return r.passed() ? 0 : 1;
}

model::FlexConfig config_with_size(const RunContext& ctx) {
  auto c = model::model_config_from_deck(ctx.deck);
  if (ctx.args.size() < 2) return c;
  // A size word replaces the size-derived fields; other keys keep their values.
  const auto s = model::flex_config_for_size(ctx.args[1]);
  c.size = s.size, c.img = s.img, c.channels = s.channels, c.blocks = s.blocks, c.depth = s.depth, c.heads = s.heads;
  c.validate("flex model count " + ctx.args[1]);
  return c;
}

int count(const RunContext& ctx) {
  FLEX_REQUIRE(ctx.args.size() <= 2, "flex model count: expected at most one size word (tiny, S, M, L)");
  const auto c = config_with_size(ctx);
  log::info("count: ", model::describe(c));
  for (const char* part : {"encoder.", "superres_encoder.", "forecast_encoder.", "decoder."}) {
    const auto n = model::count_parameters(c, part);
    if (n > 0) log::info("count: ", std::string(part, std::string(part).size() - 1), " ", n);
  }
  log::info("count: total ", model::count_parameters(c));
  return 0;
}

int init(const RunContext& ctx) {
  need_args(ctx, 1, "<out.pt>");
  const RunSettings run = read_run_settings(ctx.deck);
  comm::configure_runtime(run, ctx.env.comm());
  const auto c = model::model_config_from_deck(ctx.deck);
  const bool overwrite = run.overwrite;
  const auto& path = ctx.args[1];
  mpi::on_root(ctx.env.comm(), [&] { output::ensure_writable(path, overwrite); });
  auto net = model::build_flex(c, derive_seed(run.seed, Stream::kModelInit, {}));
  if (!c.init_from.empty()) model::load_checkpoint(*net, c.init_from);
  mpi::on_root(ctx.env.comm(), [&] {
    model::save_checkpoint(*net, path, overwrite);
    output::write_text_atomic(output::resolved_deck_path(path), run.deck_text);
  });
  log::info("init: ", model::describe(c), ", ", model::count_parameters(*net), " parameters -> ", path);
  return 0;
}

int check(const RunContext& ctx) {
  need_args(ctx, 1, "<checkpoint.pt>");
  const auto c = model::model_config_from_deck(ctx.deck);
  auto net = model::Flex(c);
  const auto report = model::load_checkpoint(*net, ctx.args[1]);
  log::info("check: ", ctx.args[1], " loads into ", model::describe(c), ": ", report.loaded.size(), " entries, ",
            model::count_parameters(*net), " parameters");
  return 0;
}

int run_action(const RunContext& ctx) {
  FLEX_REQUIRE(!ctx.args.empty(), "flex model: expected an action (parity, count, init, check); see --help");
  const auto& a = ctx.args[0];
  if (a == "parity") return parity(ctx);
  if (a == "count") return count(ctx);
  if (a == "init") return init(ctx);
  if (a == "check") return check(ctx);
  FLEX_REQUIRE(false, "flex model: unknown action '" << a << "' (parity, count, init, check)");
  return 2;
}

}  // namespace

Command model() {
  return {"model", "the FLEX network: reference parity check, parameter counts, checkpoint init/check",
          model::declare_model_keys, run_action, /*takes_deck=*/false, kUsage};
}

}  // namespace flex::commands
