// unpopcheck simulate: run a small script of operations through one variant and print each
// step's state changes and findings.
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/common.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "report/steps.h"

namespace unpop::cli {
namespace {

struct SimulateCmd {
  LayoutOptions lo;
  std::string variant = default_variant();
  std::string mutant = "none";
  std::string script;
  std::string save_case;
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

int run(const SimulateCmd& c) {
  Case cs;
  try {
    cs.layout = c.lo.load();
    cs.preset = c.lo.preset;
    cs.page_size = c.lo.page_size_bytes(cs.layout);
    cs.variant = c.variant;
    if (!parse_mutant(c.mutant, cs.mutant)) throw LoadError{"--mutant", 0, "unknown mutant '" + c.mutant + "'"};
    cs.ops = parse_script(read_all(c.script), c.script);
    cs.origin = "simulate";
    Runner runner(cs);
    std::vector<std::string> init_state = runner.model().describe();
    auto steps = runner.run();
    bool bad = false;
    for (const auto& f : runner.init_findings()) bad |= f.severity != Severity::warning;
    for (const auto& s : steps)
      for (const auto& f : s.findings) bad |= f.severity != Severity::warning;
    if (!c.save_case.empty()) save_case(c.save_case, cs);
    if (c.json) {
      auto j = report::steps_json(runner.init_findings(), steps);
      j["variant"] = cs.variant;
      j["mutant"] = to_string(cs.mutant);
      j["page_size"] = cs.page_size;
      j["init_ret"] = runner.model().init_ret();
      std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cout << fmt::format("variant {}{}, layout {}, {} pages\n", cs.variant,
                               cs.mutant == Mutant::none ? "" : fmt::format(" (mutant {})", to_string(cs.mutant)),
                               cs.layout.name, case_geometry(cs).page_size_name());
      std::cout << report::steps_text(init_state, runner.init_findings(), steps);
    }
    return bad ? kFindings : kClean;
  } catch (const LoadError& e) {
    std::cerr << "unpopcheck: " << e.what() << "\n";
    return kBadInput;
  }
}

}  // namespace

void register_simulate(CLI::App& app) {
  auto c = std::make_shared<SimulateCmd>();
  auto* sub = app.add_subcommand("simulate", "run a script of operations (docs/script.md) through a variant");
  c->lo.add_to(sub);
  sub->add_option("--variant", c->variant, variant_list_text())->capture_default_str();
  sub->add_option("--mutant", c->mutant, "a seeded bug (see `unpopcheck mutants --list`)")->capture_default_str();
  sub->add_flag("--json", c->json, "JSON output");
  sub->add_option("--save-case", c->save_case, "write the run as a case file that `explore` opens");
  sub->add_option("SCRIPT", c->script, "the script file, or - for standard input")->required();
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
