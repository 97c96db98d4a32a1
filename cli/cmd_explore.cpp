// unpopcheck explore CASE.json [--svg OUT.svg | --html OUT.html]: replay a counterexample
// step by step (operation, the state that changed, the finding at the failing step) and draw
// the address space at the failing step.
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/common.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "report/steps.h"
#include "report/svg.h"

namespace unpop::cli {

namespace {
struct ExploreCmd {
  std::string path, svg, html, variant;
  bool json = false;
};
}  // namespace

void register_explore(CLI::App& app) {
  auto c = std::make_shared<ExploreCmd>();
  auto* sub = app.add_subcommand("explore", "replay a case (counterexample) step by step");
  sub->add_option("CASE", c->path, "a case file written by check, prove, replay or simulate")->required();
  sub->add_flag("--json", c->json, "JSON output");
  sub->add_option("--variant", c->variant,
                  "replay the case's operations under this variant instead (" + variant_list_text() +
                      "): does another design pass this counterexample? The case's mutant is dropped");
  auto* svg = sub->add_option("--svg", c->svg, "draw the address space at the failing step (SVG)");
  auto* html = sub->add_option("--html", c->html, "the picture and the replay as one HTML page");
  svg->excludes(html);
  sub->callback([c] {
    try {
      Case cs = load_case(c->path);
      const std::string found_on = cs.variant;
      if (!c->variant.empty() && c->variant != cs.variant) {
        cs.variant = c->variant;  // Runner refuses an unknown name (exit 2, the list)
        cs.mutant = Mutant::none;
      }
      Runner runner(cs);
      auto init = runner.model().describe();
      auto steps = runner.run(true);
      bool bad = false;
      std::vector<Finding> last;
      for (const auto& f : runner.init_findings())
        if (f.severity != Severity::warning) last.push_back(f);
      for (const auto& s : steps)
        for (const auto& f : s.findings) {
          bad |= f.severity != Severity::warning;
          if (f.severity != Severity::warning) last.push_back(f);
        }
      std::string head = fmt::format("case {}: variant {}, mutant {}, {} ops{}\n", c->path, cs.variant,
                                     to_string(cs.mutant), cs.ops.size(), cs.rule.empty() ? "" : ", shows " + cs.rule);
      if (cs.variant != found_on)
        head += fmt::format("(replayed under {}; the case was found on {}{})\n", cs.variant, found_on,
                            cs.rule.empty() ? "" : fmt::format(", where it shows {}", cs.rule));
      // A conformance case (unpopcheck conform --cex): the kernel's side of the difference is
      // kept in the case, since explore replays the model only.
      if (cs.extra.is_object() && cs.extra.contains("difference") && cs.extra.contains("kernel"))
        head += fmt::format("model vs Linux {} ({}) in lockstep: {}\n", cs.extra.value("kernel", std::string()),
                            cs.extra.value("arch", std::string()), cs.extra.value("difference", std::string()));
      if (!cs.schedule.empty()) {
        head += "two callers; atomic steps taken by caller:";
        for (int w : cs.schedule) head += fmt::format(" {}", w);
        head += " (then each runs to the end)\n";
      }
      std::string text = report::steps_text(init, runner.init_findings(), steps);
      if (c->json) {
        std::cout << report::steps_json(runner.init_findings(), steps).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << head << text;
      }
      if (!c->svg.empty() || !c->html.empty()) {
        report::SvgInput in;
        in.layout = &runner.model().kernel().layout();
        in.geo = runner.model().kernel().geo();
        in.checker = &runner.checker();
        in.kernel = &runner.model().kernel();
        in.findings = last;
        in.title = fmt::format("{}: {} on {}{}", cs.rule.empty() ? "case" : cs.rule, cs.variant,
                               cs.preset.empty() ? cs.layout.name : cs.preset,
                               cs.mutant == Mutant::none ? "" : fmt::format(" (mutant {})", to_string(cs.mutant)));
        in.subtitle = steps.empty() ? "before the first operation"
                                    : fmt::format("state after step [{}] {}{}", steps.back().index, steps.back().op.text(),
                                                  last.empty() ? "" : " - " + last.back().text());
        const std::string& out = c->svg.empty() ? c->html : c->svg;
        std::ofstream f(out);
        if (!f) throw LoadError{out, 0, "cannot write the picture"};
        f << (c->svg.empty() ? report::render_html(in, head + text) : report::render_svg(in));
        if (!f.flush()) throw LoadError{out, 0, "cannot write the picture"};
        if (!c->json) std::cout << fmt::format("picture: {} ({})\n", out, c->svg.empty() ? "HTML" : "SVG");
      }
      exit_code = bad ? kFindings : kClean;
    } catch (const LoadError& e) {
      std::cerr << "unpopcheck: " << e.what() << "\n";
      exit_code = kBadInput;
    }
  });
}

}  // namespace unpop::cli
