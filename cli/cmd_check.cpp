// unpopcheck check: runs the property suites (properties/) against the variants, prints the
// rule x variant table and writes each minimal counterexample as a case file.
#ifdef HAVE_UNPOP_PROPERTIES
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/invariants/finding.h"
#include "model/linux/mutants.h"
#include "model/variants/variant.h"
#include "properties/driver.h"
#include "properties/suites.h"
#include "report/table.h"

namespace unpop::cli {
namespace {

struct CheckCmd {
  std::string variant = "all";
  int runs = 2000;
  std::string seed = "1";
  LayoutOptions lo;
  std::string mutant;
  std::string fail_on = "violations";
  bool json = false;
  std::string cex_dir;
  int max_size = 60;
  std::vector<std::string> suites;
};

std::vector<std::string> rule_rows() {
  std::vector<std::string> rows;
  for (const auto& r : rule_table()) rows.push_back(r.id);
  rows.push_back(props::kReferenceRule);
  return rows;
}

int run(const CheckCmd& c) {
  std::vector<std::string> variants;
  props::RunConfig cfg;
  std::string layout_name;  // the user's layout, for the header
  std::vector<std::string> left_out;  // `all` on it: variants native to another arch
  try {
    variants = parse_variants(c.variant);
    cfg.seed = parse_seed(c.seed);
    if (!c.mutant.empty()) cfg.mutant = mutant_option(c.mutant);
    if (c.lo.given()) {
      cfg.layout = c.lo.load();
      cfg.preset = c.lo.preset;
      layout_name = cfg.layout->name;
      if (c.variant == "all")  // on the user's board, as scenario does
        std::erase_if(variants, [&](const std::string& v) {
          if (!all_leaves_out(v, cfg.layout->arch)) return false;
          left_out.push_back(v);
          return true;
        });
      if (!c.lo.page_size.empty()) cfg.page_size = c.lo.geometry(*cfg.layout).page_size();
    } else if (!c.lo.page_size.empty()) {
      cfg.page_size = parse_page_size(c.lo.page_size);
      if (!*cfg.page_size) throw LoadError{"--page-size", 0, "expected 4K, 16K or 64K, got '" + c.lo.page_size + "'"};
    }
  } catch (const LoadError& e) {
    return input_error("check", e, c.json);
  }
  cfg.runs = c.runs;
  cfg.max_size = c.max_size;
  cfg.suites = c.suites;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  // On a terminal a ticker while a variant runs; everywhere one whole line per variant when it
  // is done (a file or pipe never gets carriage returns: they would make one long line of it).
  const bool tty = stderr_is_terminal();
  std::uint64_t done = 0;
  std::string current;
  if (tty)
    cfg.progress = [&](const std::string& what) {
      ++done;
      if (done % 25 == 0 || what == "shrink+")
        std::cerr << fmt::format("\r  {:<10} {:>7} cases and shrink steps, {:.1f} s", current, done, elapsed())
                  << std::flush;
    };
  std::vector<props::VariantReport> reports;
  for (const auto& v : variants) {
    current = v;
    reports.push_back(props::check_variant(v, cfg));
    if (tty) std::cerr << fmt::format("\r{:<70}\r", "");
    std::cerr << fmt::format("check: {} done: {} test cases, {} finding{}, {:.1f} s\n", v, reports.back().tests,
                             reports.back().findings.size(), reports.back().findings.size() == 1 ? "" : "s", elapsed());
  }
  const double secs = elapsed();

  // Counterexample files.
  std::map<std::string, std::string> files;  // variant/rule -> path
  if (!c.cex_dir.empty()) {
    try {
      for (const auto& r : reports) {
        for (const auto& [rule, cx] : r.findings)
          files[r.variant + "/" + rule] = save_case_in(c.cex_dir, fmt::format("{}-{}.json", r.variant, rule), cx.cs);
        // Every suite's own counterexample too (a rule the race suite shows with two callers).
        for (const auto& cx : r.all)
          save_case_in(c.cex_dir, fmt::format("{}-{}-{}.json", r.variant, cx.rule, cx.suite), cx.cs);
      }
    } catch (const LoadError& e) {
      return input_error("check", e, c.json);
    }
  }
  Outcome outcome;
  for (const auto& r : reports)
    for (const auto& [rule, cx] : r.findings) {
      const RuleInfo* info = find_rule(rule);
      (info && info->liveness() ? outcome.liveness : outcome.violation) = true;
    }
  const int rc = exit_for(outcome, c.fail_on);

  if (c.json) {
    nlohmann::json j;
    j["seed"] = cfg.seed;
    j["runs"] = c.runs;
    j["layout"] = layout_name.empty() ? "generated and presets" : layout_name;
    j["mutant"] = to_string(cfg.mutant);
    if (!left_out.empty()) j["left_out"] = left_out;
    j["exit"] = rc;
    j["seconds"] = secs;
    auto& vs = j["variants"] = nlohmann::json::object();
    for (const auto& r : reports) {
      nlohmann::json v;
      v["tests"] = r.tests;
      v["errors"] = r.errors;
      auto& rules = v["rules"] = nlohmann::json::object();
      for (const auto& rule : rule_rows()) {
        auto it = r.findings.find(rule);
        if (it == r.findings.end()) {
          rules[rule] = {{"status", "held"}};
          continue;
        }
        const auto& cx = it->second;
        const RuleInfo* info = find_rule(rule);
        nlohmann::json e{{"status", info && info->liveness() ? "finding" : "violated"},
                         {"suite", cx.suite},
                         {"ops", cx.ops},
                         {"failing_step", cx.cs.failing_step.value_or(0)},
                         {"message", cx.message},
                         {"verified", cx.verified},
                         {"reproduce", cx.cs.reproduce},
                         {"case", case_to_json(cx.cs)}};
        if (files.count(r.variant + "/" + rule)) e["file"] = files[r.variant + "/" + rule];
        rules[rule] = e;
      }
      vs[r.variant] = v;
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return rc;
  }

  std::vector<std::string> header{"rule"};
  for (const auto& r : reports) header.push_back(r.variant);
  report::Table t(header);
  for (const auto& rule : rule_rows()) {
    std::vector<std::string> row{rule};
    for (const auto& r : reports) {
      auto it = r.findings.find(rule);
      if (it == r.findings.end()) {
        row.push_back("held");
        continue;
      }
      const RuleInfo* info = find_rule(rule);
      row.push_back(fmt::format("{} ({}{})", info && info->liveness() ? "FINDING" : "VIOLATED", count_of(it->second.ops, "op"),
                                it->second.verified ? "" : ", unconfirmed"));
    }
    t.add(row);
  }
  std::cout << fmt::format("unpopcheck check: seed {}, {} runs per suite, suites {}, layouts: {}{}\n\n", c.seed,
                           c.runs, c.suites.empty() ? "stateful+race" : fmt::format("{}", fmt::join(c.suites, "+")),
                           layout_name.empty() ? "the presets and generated ones"
                                               : layout_name + " (3 cases in 4) and its neighbours",
                           cfg.mutant == Mutant::none ? "" : fmt::format(", mutant {}", to_string(cfg.mutant)));
  for (const auto& v : left_out)
    std::cout << fmt::format("{} left out: native to {}, the layout is {} (--variant {} runs it)\n", v,
                             to_string(*variant_info(v).native_arch), to_string(cfg.layout->arch), v);
  if (!left_out.empty()) std::cout << "\n";
  std::cout << t.render() << "\n";
  for (const auto& r : reports) {
    std::cout << fmt::format("{}: {} test cases", r.variant, r.tests);
    for (const auto& e : r.errors) std::cout << "; " << e;
    std::cout << "\n";
    for (const auto& [rule, cx] : r.findings) {
      std::cout << fmt::format("  {} [{} suite, {}, layout {}, {} pages]: {}\n", rule, cx.suite, count_of(cx.ops, "op"),
                               cx.cs.preset.empty() ? cx.cs.layout.name : cx.cs.preset,
                               case_geometry(cx.cs).page_size_name(), cx.message);
      if (files.count(r.variant + "/" + rule))
        std::cout << "    case: " << files[r.variant + "/" + rule] << "\n";
      else if (cx.cs.preset.empty() && cx.cs.layout.name != layout_name)  // generated: only in the case file
        std::cout << "    (a generated layout: --cex DIR saves the case with it, for `unpopcheck explore`)\n";
    }
  }
  std::cout << fmt::format("\n{:.1f} s; exit {}{}\n", secs, rc,
                           rc == kClean && outcome.liveness ? " (liveness findings only; --fail-on findings counts them)" : "");
  return rc;
}

}  // namespace

void register_check(CLI::App& app) {
  auto c = std::make_shared<CheckCmd>();
  auto* sub = app.add_subcommand("check", "run the property suites: rule x variant table, minimal counterexamples");
  opt::variant(sub, c->variant);
  c->lo.add_to(sub, false, true);
  sub->add_option("--runs", c->runs, "test cases per suite")->capture_default_str();
  opt::seed(sub, c->seed, "RapidCheck's");
  opt::mutant(sub, c->mutant);
  sub->add_option("--max-size", c->max_size, "RapidCheck max_size (longest sequence - 1)")->capture_default_str();
  opt::json(sub, c->json);
  opt::fail_on(sub, c->fail_on);
  sub->add_option("--suite", c->suites, "only these suites (stateful, race)")->check(CLI::IsMember({"stateful", "race"}));
  opt::cex(sub, c->cex_dir, "DIR/VARIANT-RULE.json, and each suite's as DIR/VARIANT-RULE-SUITE.json");
  sub->footer("Without a layout option the suites draw the shipped presets and generated layouts (Xen dom0 "
              "with and without IOMMU, domU, x86 PVH, adversarial); with one, every case runs on that layout "
              "(three in four) or a neighbour of it (its extended regions dropped or cut).");
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
#endif
