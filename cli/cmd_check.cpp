// unpopcheck check: runs the property suites (properties/) against the variants, prints the
// rule x variant table and writes each minimal counterexample as a case file.
#ifdef HAVE_UNPOP_PROPERTIES
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/invariants/finding.h"
#include "model/variants/variant.h"
#include "properties/driver.h"
#include "properties/suites.h"
#include "report/table.h"

namespace unpop::cli {
namespace {

struct CheckCmd {
  std::string variant = "all";
  int runs = 2000;
  std::uint64_t seed = 1;
  std::string page_size;
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
  try {
    variants = parse_variants(c.variant);
  } catch (const LoadError& e) {
    std::cerr << "unpopcheck check: " << e.what() << "\n";
    return kBadInput;
  }
  props::RunConfig cfg;
  cfg.seed = c.seed;
  cfg.runs = c.runs;
  cfg.max_size = c.max_size;
  cfg.suites = c.suites;
  if (!c.page_size.empty()) {
    cfg.page_size = parse_page_size(c.page_size);
    if (!*cfg.page_size) {
      std::cerr << "unpopcheck: --page-size: expected 4K, 16K or 64K\n";
      return kBadInput;
    }
  }
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
    std::filesystem::create_directories(c.cex_dir);
    try {
      for (const auto& r : reports) {
        for (const auto& [rule, cx] : r.findings) {
          std::string path = fmt::format("{}/{}-{}.json", c.cex_dir, r.variant, rule);
          save_case(path, cx.cs);
          files[r.variant + "/" + rule] = path;
        }
        // Every suite's own counterexample too (a rule the race suite shows with two callers).
        for (const auto& cx : r.all) save_case(fmt::format("{}/{}-{}-{}.json", c.cex_dir, r.variant, cx.rule, cx.suite), cx.cs);
      }
    } catch (const LoadError& e) {
      std::cerr << "unpopcheck: " << e.what() << "\n";
      return kBadInput;
    }
  }
  bool any = false;
  for (const auto& r : reports) any |= !r.findings.empty();

  if (c.json) {
    nlohmann::json j;
    j["seed"] = c.seed;
    j["runs"] = c.runs;
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
    return any ? kFindings : kClean;
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
      row.push_back(fmt::format("{} ({} ops{})", info && info->liveness() ? "FINDING" : "VIOLATED", it->second.ops,
                                it->second.verified ? "" : ", unconfirmed"));
    }
    t.add(row);
  }
  std::cout << fmt::format("unpopcheck check: seed {}, {} runs per suite, suites stateful+race\n\n", c.seed, c.runs);
  std::cout << t.render() << "\n";
  for (const auto& r : reports) {
    std::cout << fmt::format("{}: {} test cases", r.variant, r.tests);
    for (const auto& e : r.errors) std::cout << "; " << e;
    std::cout << "\n";
    for (const auto& [rule, cx] : r.findings) {
      std::cout << fmt::format("  {} [{} suite, {} ops, layout {}, {} pages]: {}\n", rule, cx.suite, cx.ops,
                               cx.cs.preset.empty() ? cx.cs.layout.name : cx.cs.preset,
                               case_geometry(cx.cs).page_size_name(), cx.message);
      if (files.count(r.variant + "/" + rule))
        std::cout << "    case: " << files[r.variant + "/" + rule] << "\n";
      else if (cx.cs.preset.empty())  // a generated layout exists only in the case file
        std::cout << "    (a generated layout: --cex DIR saves the case with it, for `unpopcheck explore`)\n";
    }
  }
  std::cout << fmt::format("\n{:.1f} s\n", secs);
  return any ? kFindings : kClean;
}

}  // namespace

void register_check(CLI::App& app) {
  auto c = std::make_shared<CheckCmd>();
  auto* sub = app.add_subcommand("check", "run the property suites: rule x variant table, minimal counterexamples");
  sub->add_option("--variant", c->variant, variant_list_text() + ", a comma-separated list, or all")
      ->capture_default_str();
  sub->add_option("--runs", c->runs, "test cases per suite")->capture_default_str();
  sub->add_option("--seed", c->seed, "RapidCheck seed (same seed, same result)")->capture_default_str();
  sub->add_option("--page-size", c->page_size, "only this page size (4K, 16K, 64K); default: all");
  sub->add_option("--max-size", c->max_size, "RapidCheck max_size (longest sequence - 1)")->capture_default_str();
  sub->add_flag("--json", c->json, "JSON output (no progress on stderr)");
  sub->add_option("--suite", c->suites, "only these suites (stateful, race)")->check(CLI::IsMember({"stateful", "race"}));
  sub->add_option("--cex", c->cex_dir, "write each minimal counterexample as DIR/VARIANT-RULE.json");
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
#endif
