// unpopcheck mutants: the seeded bugs of the model. `--list` lists them; without it every
// property suite runs against every mutant in every variant where its code exists, and the
// table says which property (rule) killed it. Exit 1 if any mutant survives.
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/linux/mutants.h"
#include "model/variants/variant.h"
#include "report/table.h"
#ifdef HAVE_UNPOP_PROPERTIES
#include "properties/suites.h"
#endif

namespace unpop::cli {
namespace {

struct MutantsCmd {
  bool list = false;
  bool json = false;
  int runs = 300;
  std::string seed = "1";
  std::string variant = "all";
  std::string only;
  std::string cex_dir;
  std::vector<std::string> suites;
};

#ifdef HAVE_UNPOP_PROPERTIES
int run_all(const MutantsCmd& c) {
  props::RunConfig cfg;
  std::vector<std::string> variants;
  try {
    cfg.seed = parse_seed(c.seed);
    variants = parse_variants(c.variant);
    if (!c.only.empty()) mutant_option(c.only, false);  // (selects by name below)
  } catch (const LoadError& e) {
    return input_error("mutants", e, c.json);
  }
  cfg.runs = c.runs;
  cfg.suites = c.suites;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<props::MutantKill> kills;
  const bool tty = stderr_is_terminal();
  for (const auto& m : mutant_table()) {
    if (m.id == Mutant::none || (!c.only.empty() && c.only != m.name)) continue;
    for (const auto& v : variants) {
      if (!props::mutant_applies(m.id, v)) continue;
      // A ticker on a terminal; whole lines elsewhere (carriage returns would join them).
      if (!c.json && tty) std::cerr << fmt::format("\r  {} in {}...{:30}", m.name, v, "") << std::flush;
      if (!c.json && !tty) std::cerr << fmt::format("mutants: {} in {}\n", m.name, v);
      kills.push_back(props::run_mutant(m.id, v, cfg));
      if (!c.cex_dir.empty() && kills.back().killed)
        save_case_in(c.cex_dir, fmt::format("mutant-{}-{}.json", m.name, v), kills.back().cex.cs);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!c.json && tty) std::cerr << "\r" << std::string(60, ' ') << "\r";
  // A mutant survives if some variant where it can change behaviour does not kill it.
  std::map<Mutant, bool> killed_somewhere;
  bool survivor = false;
  for (const auto& k : kills) {
    killed_somewhere[k.mutant] |= k.killed;
    if (!k.killed && !props::equivalent_mutant(k.mutant, k.variant)) survivor = true;
  }
  if (c.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& k : kills) {
      nlohmann::json e{{"mutant", to_string(k.mutant)}, {"variant", k.variant}, {"killed", k.killed}};
      if (const char* why = props::equivalent_mutant(k.mutant, k.variant)) e["equivalent"] = why;
      if (k.killed)
        e.update({{"suite", k.cex.suite}, {"rule", k.cex.rule}, {"ops", k.cex.ops}, {"verified", k.cex.verified},
                  {"message", k.cex.message}, {"case", case_to_json(k.cex.cs)}});
      j.push_back(e);
    }
    std::cout << nlohmann::json{{"seed", cfg.seed}, {"runs", c.runs}, {"seconds", secs}, {"mutants", j}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return survivor ? kFindings : kClean;
  }
  report::Table t({"mutant", "variant", "killed by", "suite", "counterexample"});
  for (const auto& k : kills)
    t.add({to_string(k.mutant), k.variant,
           k.killed ? k.cex.rule : props::equivalent_mutant(k.mutant, k.variant) ? "(equivalent)" : "SURVIVED",
           k.killed ? k.cex.suite : "-",
           k.killed ? fmt::format("{}, {} pages{}", count_of(k.cex.ops, "op"), k.cex.cs.page_size,
                                  k.cex.verified ? "" : " (replay did not confirm)")
                    : "-"});
  std::cout << t.render();
  std::size_t n = killed_somewhere.size(), dead = 0, runs_killed = 0;
  for (const auto& [m, k] : killed_somewhere) dead += k;
  for (const auto& k : kills) runs_killed += k.killed;
  std::cout << fmt::format("\n{} of {} mutants killed; {} of {} mutant x variant runs ({:.1f} s, seed {}, {} runs per suite)\n",
                           dead, n, runs_killed, kills.size(), secs, c.seed, c.runs);
  for (const auto& k : kills)
    if (!k.killed) {
      const char* why = props::equivalent_mutant(k.mutant, k.variant);
      std::cout << fmt::format("{}: {} in {}{}\n", why ? "equivalent" : "SURVIVED", to_string(k.mutant), k.variant,
                               why ? std::string(": ") + why : "");
    }
  return survivor ? kFindings : kClean;
}
#endif

}  // namespace

void register_mutants(CLI::App& app) {
  auto c = std::make_shared<MutantsCmd>();
  auto* sub = app.add_subcommand("mutants", "run the property suites against the model's seeded bugs (--list: list them)");
  sub->add_flag("--list", c->list, "list the mutants and where their code is");
  opt::json(sub, c->json);
  opt::variant(sub, c->variant, " (each mutant runs in the variants where its code is)");
  sub->add_option("--runs", c->runs, "test cases per suite and mutant")->capture_default_str();
  opt::seed(sub, c->seed, "RapidCheck's");
  opt::mutant(sub, c->only, " (only this one)");
  sub->add_option("--suite", c->suites, "only these suites (stateful, race)")->check(CLI::IsMember({"stateful", "race"}));
  opt::cex(sub, c->cex_dir, "each killing counterexample as DIR/mutant-NAME-VARIANT.json");
  sub->callback([c] {
    if (!c->list) {
#ifdef HAVE_UNPOP_PROPERTIES
      exit_code = run_all(*c);
#else
      std::cerr << "unpopcheck mutants: running the suites needs the property suites (properties/); "
                   "use --list to list them\n";
      exit_code = kBadInput;
#endif
      return;
    }
    report::Table t({"mutant", "variants", "what"});
    for (const auto& m : mutant_table())
      if (m.id != Mutant::none) t.add({m.name, mutant_variants_text(m.id), m.what});
    std::cout << t.render();
  });
}

}  // namespace unpop::cli
