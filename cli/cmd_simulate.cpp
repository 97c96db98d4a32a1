// unpopcheck simulate: run a small script of operations through one variant (or several, one
// after the other) and print each step's state changes and findings.
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "model/linux/mutants.h"
#include "model/variants/registry.h"
#include "report/steps.h"

namespace unpop::cli {
namespace {

struct SimulateCmd {
  LayoutOptions lo;
  std::string variant = default_variant();
  std::string mutant = "none";
  std::string script;
  std::string save_case;
  std::string cex_dir;
  std::string fail_on = "violations";
  bool json = false;
};

std::string read_all(const std::string& path) {
  if (path == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path);
  if (!in) throw LoadError{path, 0, "cannot open the script"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Run {
  Case cs;
  std::vector<std::string> init_state;
  std::vector<Finding> init_findings;
  std::vector<StepRecord> steps;
  int init_ret = 0;
};

Run run_variant(Case cs) {
  Run out;
  Runner runner(cs);
  out.init_state = runner.model().describe();
  out.init_findings = runner.init_findings();
  out.init_ret = runner.model().init_ret();
  out.steps = runner.run();
  out.cs = std::move(cs);
  return out;
}

// --cex DIR: for each rule the run broke, the ops up to its first step, as a case file.
std::vector<std::string> write_cex(const std::string& dir, const Run& r) {
  std::vector<std::string> written;
  std::set<std::string> seen;
  for (const auto& s : r.steps)
    for (const auto& f : s.findings) {
      if (f.severity == Severity::warning || !seen.insert(f.rule).second) continue;
      Case c = r.cs;
      c.ops.resize(s.index + 1);
      c.rule = f.rule;
      c.failing_step = s.index;
      written.push_back(save_case_in(dir, fmt::format("{}-{}.json", c.variant, f.rule), c));
    }
  return written;
}

int run(const SimulateCmd& c) {
  Case base;
  std::vector<std::string> variants;
  std::vector<std::size_t> lines;
  try {
    variants = parse_variants(c.variant);
    if (!c.save_case.empty() && variants.size() != 1)
      throw LoadError{"--save-case", 0, "writes the run of one variant: give one --variant, or use --cex DIR"};
    base.layout = c.lo.load();
    base.preset = c.lo.preset;
    base.page_size = c.lo.page_size_bytes(base.layout);
    base.mutant = mutant_option(c.mutant);
    base.ops = parse_script(read_all(c.script), c.script, &lines);
    base.origin = "simulate";
  } catch (const LoadError& e) {
    return input_error("simulate", e, c.json);
  }
  Outcome outcome;
  nlohmann::json runs = nlohmann::json::array();
  std::optional<LoadError> bad_ref;  // the first free of a failed allocation: a script error, after the output
  for (const auto& v : variants) {
    Case cs = base;
    cs.variant = v;
    Run r;
    std::vector<std::string> cex;
    try {
      r = run_variant(cs);
      if (!c.save_case.empty()) save_case(c.save_case, r.cs);
      if (!c.cex_dir.empty()) cex = write_cex(c.cex_dir, r);
    } catch (const LoadError& e) {
      return input_error("simulate", e, c.json);
    }
    for (const auto& f : r.init_findings) outcome.add(f.severity);
    for (const auto& s : r.steps) {
      for (const auto& f : s.findings) outcome.add(f.severity);
      if (!bad_ref && !s.bad_reference.empty())
        bad_ref = LoadError{c.script, lines.at(s.index), fmt::format("{}: {}", s.op.text(), s.bad_reference)};
    }
    if (c.json) {
      auto j = report::steps_json(r.init_findings, r.steps);
      j["variant"] = v;
      j["mutant"] = to_string(cs.mutant);
      j["page_size"] = cs.page_size;
      j["init_ret"] = r.init_ret;
      if (!cex.empty()) j["cex"] = cex;
      runs.push_back(j);
    } else {
      std::cout << fmt::format("{}variant {}{}, layout {}, {} pages\n", v == variants.front() ? "" : "\n", v,
                               cs.mutant == Mutant::none ? "" : fmt::format(" (mutant {})", to_string(cs.mutant)),
                               cs.layout.name, case_geometry(cs).page_size_name());
      std::cout << report::steps_text(r.init_state, r.init_findings, r.steps);
      for (const auto& p : cex) std::cout << "case: " << p << "\n";
    }
  }
  // The steps that ran are part of the answer: JSON carries them under "output".
  if (bad_ref) return input_error("simulate", *bad_ref, c.json, c.json ? (runs.size() == 1 ? runs[0] : runs) : nullptr);
  if (c.json) std::cout << (runs.size() == 1 ? runs[0] : runs).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return exit_for(outcome, c.fail_on);
}

}  // namespace

void register_simulate(CLI::App& app) {
  auto c = std::make_shared<SimulateCmd>();
  auto* sub = app.add_subcommand("simulate", "run a script of operations (docs/script.md) through a variant");
  c->lo.add_to(sub);
  opt::variant(sub, c->variant, " (each runs the script in turn)");
  opt::mutant(sub, c->mutant)->capture_default_str();
  opt::json(sub, c->json);
  opt::fail_on(sub, c->fail_on);
  opt::cex(sub, c->cex_dir, "DIR/VARIANT-RULE.json: the script up to the step that broke the rule");
  sub->add_option("--save-case", c->save_case, "FILE: the whole run as a case file that `explore` opens (one variant)");
  sub->add_option("SCRIPT", c->script, "the script file, or - for standard input")->required();
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
