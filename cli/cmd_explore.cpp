// unpopcheck explore CASE.json: replay a counterexample step by step.
#include <iostream>

#include <fmt/format.h>

#include "cli/common.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "report/steps.h"

namespace unpop::cli {

void register_explore(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("explore", "replay a case (counterexample) step by step");
  sub->add_option("CASE", *path, "a case file written by check, prove, replay or simulate")->required();
  sub->add_flag("--json", *json, "JSON output");
  sub->callback([path, json] {
    try {
      Case cs = load_case(*path);
      Runner runner(cs);
      auto init = runner.model().describe();
      auto steps = runner.run(true);
      bool bad = false;
      for (const auto& s : steps)
        for (const auto& f : s.findings) bad |= f.severity != Severity::warning;
      if (*json) {
        std::cout << report::steps_json(runner.init_findings(), steps).dump(2) << "\n";
      } else {
        std::cout << fmt::format("case {}: variant {}, mutant {}, {} ops{}\n", *path, cs.variant, to_string(cs.mutant),
                                 cs.ops.size(), cs.rule.empty() ? "" : ", shows " + cs.rule);
        std::cout << report::steps_text(init, runner.init_findings(), steps);
      }
      exit_code = bad ? kFindings : kClean;
    } catch (const LoadError& e) {
      std::cerr << "unpopcheck: " << e.what() << "\n";
      exit_code = kBadInput;
    }
  });
}

}  // namespace unpop::cli
