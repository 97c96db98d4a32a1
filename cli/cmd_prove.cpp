// unpopcheck prove: Z3 proofs and refutations of the rules (docs/solver.md). Prints a table
// rule x operation -> proved / refuted / unknown with the time, each refutation's
// counterexample and whether the model replays it; --cex DIR saves them as case files.
#ifdef HAVE_UNPOP_SOLVER
#include <chrono>
#include <climits>
#include <iostream>
#include <map>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/layout/loaders.h"
#include "model/variants/variant.h"
#include "solver/prove.h"

namespace unpop::cli {
namespace {

struct ProveCmd {
  LayoutOptions lo;
  std::string variant = "all";
  int depth = 3;
  int race_depth = 6;
  int proposed_depth = 2;
  unsigned rlimit = solver::kDefaultRlimit;
  unsigned first_try = 0;
  unsigned z3_seed = 0, z3_arith = 0;
  unsigned timeout = solver::kGuardMs / 1000;
  bool json = false;
  std::string mutant;
  std::string cex_dir;
  bool no_mutants = false, no_universal = false, no_replay = false, layout_only = false;
};

std::string mark(const solver::QueryResult& q) {
  std::string v = solver::to_string(q.verdict);
  if (!q.expected_ok) v += "!";
  return v;
}

int run(const ProveCmd& c) {
  solver::ProveOptions o;
  try {
    o.variants = parse_variants(c.variant);
    if (c.lo.preset == "all") {
      for (const auto& p : preset_names()) o.layouts.push_back({p, load_preset(p)});
    } else if (c.lo.given()) {
      o.layouts.push_back({c.lo.preset, c.lo.load()});
    } else {
      o.layouts.push_back({"qemu-virt-dom0", load_preset("qemu-virt-dom0")});
    }
    if (!c.lo.page_size.empty()) o.page_size = c.lo.page_size_bytes(o.layouts.front().layout);
    if (!c.mutant.empty()) o.only_mutant = mutant_option(c.mutant, false);
  } catch (const LoadError& e) {
    return input_error("prove", e, c.json);
  }
  o.depth = c.depth;
  o.race_depth = c.race_depth;
  o.proposed_depth = c.proposed_depth;
  o.limits.rlimit = c.rlimit;
  o.limits.first_try = c.first_try;
  o.z3_seed = c.z3_seed;
  if (c.z3_arith) o.arith_solver = c.z3_arith;
  // Progress for a person watching: one line per finished group on stderr, only when stderr
  // is a terminal (a file or a pipe gets the results alone).
  if (::isatty(STDERR_FILENO))
    o.group_done = [](const solver::GroupDone& g) {
      std::cerr << fmt::format("prove: {:<10} done at {:6.1f}s: {:3} queries, {} proved, {} refuted, {} unknown\n", g.group,
                               g.seconds, g.queries, g.proved, g.refuted, g.unknown);
    };
  o.limits.timeout_ms = static_cast<unsigned>(std::min<std::uint64_t>(std::uint64_t{c.timeout} * 1000, UINT_MAX));
  o.mutants = !c.no_mutants && !c.layout_only;
  o.universal = !c.no_universal;
  o.bmc = !c.layout_only;
  o.replay = !c.no_replay;
  if (!c.json)
    o.progress = [](const solver::QueryResult& q) {
      std::cout << fmt::format("{:<10} {:<9} {:<21} {:<20} {:<30} {:<9} {:>7.3f}s {}\n", q.group,
                               q.variant.empty() ? "-" : q.variant, q.mutant == "none" ? q.rule : q.mutant + ":" + q.rule,
                               q.op, q.verdict == solver::Verdict::refuted && q.cex ? "cex " + std::to_string(q.depth) + " ops" : "",
                               mark(q), q.seconds, q.detail);
      if (q.cex) {
        std::string ops;
        for (const auto& op : q.cex->ops) ops += op.text() + "; ";
        std::cout << fmt::format("    counterexample: {}{}\n", ops,
                                 q.cex->schedule.empty() ? "" : fmt::format("schedule {}", fmt::join(q.cex->schedule, ",")));
        if (q.replayed) std::cout << fmt::format("    replay: {} -- {}\n", *q.replayed ? "same rule" : "DIFFERS", q.replay_note);
      }
      std::cout.flush();
    };
  auto t0 = std::chrono::steady_clock::now();
  auto results = solver::prove(o);
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int proved = 0, refuted = 0, unknown = 0, unexpected = 0, replay_bad = 0, saved = 0;
  std::uint64_t largest = 0;  // resource units of the largest answered check: the budget's margin
  for (const auto& q : results) {
    largest = std::max(largest, q.rlimit);
    proved += q.verdict == solver::Verdict::proved;
    refuted += q.verdict == solver::Verdict::refuted;
    unknown += q.verdict == solver::Verdict::unknown;
    unexpected += !q.expected_ok;
    replay_bad += q.replayed && !*q.replayed;
  }
  if (!c.cex_dir.empty()) {
    int i = 0;
    for (const auto& q : results)
      if (q.cex) {
        save_case_in(c.cex_dir,
                     fmt::format("{:03}-{}-{}-{}.json", i++, q.variant.empty() ? q.group : q.variant,
                                 q.mutant == "none" ? q.rule : q.mutant, q.op),
                     *q.cex);
        ++saved;
      }
  }
  if (c.json) {
    nlohmann::json j;
    j["results"] = results;
    j["summary"] = {{"proved", proved}, {"refuted", refuted}, {"unknown", unknown}, {"unexpected", unexpected},
                    {"replay_differs", replay_bad}, {"seconds", total}, {"rlimit_largest", largest},
                    {"rlimit_budget", c.rlimit}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << fmt::format(
        "\n{} queries in {:.1f}s: {} proved, {} refuted, {} unknown; {} not as the design says (marked !); {} "
        "counterexamples did not replay{}\nlargest check: {} Z3 resource units of the budget's {}{}\n",
        results.size(), total, proved, refuted, unknown, unexpected, replay_bad,
        saved ? fmt::format("; {} saved under {}", saved, c.cex_dir) : "", largest, c.rlimit,
        c.rlimit ? fmt::format(" ({:.1f}x)", static_cast<double>(c.rlimit) / static_cast<double>(std::max<std::uint64_t>(largest, 1)))
                 : " (unlimited)");
  }
  return unexpected || replay_bad ? kFindings : kClean;
}

}  // namespace

void register_prove(CLI::App& app) {
  auto cmd = std::make_shared<ProveCmd>();
  auto* sub = app.add_subcommand("prove", "Z3 proofs and refutations of the invariants (docs/solver.md)");
  cmd->lo.add_to(sub, false);
  sub->get_option("--page-size")
      ->description(opt::page_size_text() +
                    " (default: the layout checks take each the arch has, 4K, 16K and 64K on Arm; the BMC "
                    "queries the layout's)");
  opt::variant(sub, cmd->variant);
  opt::mutant(sub, cmd->mutant,
              " (prove runs the model in the solver's encoding: only the query that must refute this mutant; by "
              "default every mutant's)");
  sub->add_option("--depth", cmd->depth, "BMC bound in operations")->capture_default_str();
  sub->add_option("--race-depth", cmd->race_depth, "two-caller BMC bound in atomic steps (0: off)")->capture_default_str();
  sub->add_option("--proposed-depth", cmd->proposed_depth, "BMC bound for run-based pools (proposed; at most --depth)")
      ->capture_default_str();
  sub->add_option("--rlimit", cmd->rlimit,
                  "Z3 resource units per check (its rlimit; the same count on every machine, so the verdicts do not "
                  "depend on its speed; a check that runs out is unknown; 0: unlimited)")
      ->capture_default_str();
  sub->add_option("--first-try", cmd->first_try,
                  "Z3 resource units a BMC check gets on the solver of the earlier queries before it moves to a fresh "
                  "solver (0: a quarter of --rlimit; to measure needs, docs/solver.md)")
      ->capture_default_str();
  sub->add_option("--z3-seed", cmd->z3_seed, "Z3's random seed for the BMC queries (experiments; docs/solver.md)")
      ->envname("UNPOP_Z3_SEED")
      ->capture_default_str();
  sub->add_option("--z3-arith", cmd->z3_arith,
                  "Z3's arith.solver for every BMC query (experiments; 0: the encoding's choice)")
      ->envname("UNPOP_Z3_ARITH")
      ->capture_default_str();
  sub->add_option("--timeout", cmd->timeout,
                  "wall-clock guard per check in seconds, far beyond what --rlimit takes (a check stopped by it is "
                  "unknown; 0: none)")
      ->capture_default_str();
  opt::json(sub, cmd->json);
  opt::cex(sub, cmd->cex_dir, "DIR/NNN-VARIANT-RULE-OP.json, every counterexample, numbered in query order");
  sub->footer("Layouts: --preset NAME, or --preset all (every shipped preset), or --dtb/--iomem/--layout; "
              "default qemu-virt-dom0.");
  sub->add_flag("--no-mutants", cmd->no_mutants, "skip the mutant queries");
  sub->add_flag("--no-universal", cmd->no_universal, "skip the all-layouts queries");
  sub->add_flag("--no-replay", cmd->no_replay, "do not replay counterexamples through the model");
  sub->add_flag("--layout-only", cmd->layout_only, "only the layout checks (part 1)");
  sub->callback([cmd]() { exit_code = run(*cmd); });
}

}  // namespace unpop::cli
#endif
