// unpopcheck explore CASE.json [--svg OUT.svg | --html OUT.html]: replay a counterexample
// step by step (operation, the state that changed, the finding at the failing step) and draw
// the address space at the failing step.
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "model/linux/mutants.h"
#include "model/variants/registry.h"
#include "report/steps.h"
#include "report/svg.h"

namespace unpop::cli {

namespace {
struct ExploreCmd {
  std::string path, svg, html, variant, mutant, fail_on = "violations";
  bool json = false, layout_only = false;
};

// The layout the case runs on, in a few lines (`--layout-only` gives the whole report).
std::string layout_lines(const Case& cs) {
  const Layout& l = cs.layout;
  auto list = [](const auto& ranges) {
    std::string out;
    for (const auto& r : ranges) {
      if constexpr (std::is_same_v<std::decay_t<decltype(r)>, Range>)
        out += (out.empty() ? "" : ", ") + to_string(r);
      else
        out += (out.empty() ? "" : ", ") + to_string(r.range);
    }
    return out.empty() ? std::string("none") : out;
  };
  std::string out = fmt::format("layout {} ({}), {}, {} pages\n", cs.preset.empty() ? l.name : cs.preset, l.source,
                                to_string(l.arch), case_geometry(cs).page_size_name());
  out += "  RAM: " + list(l.ram) + "\n";
  out += "  extended regions: " + list(l.ext_regions) + "\n";
  if (!l.extra_mem.empty()) out += "  xen_extra_mem: " + list(l.extra_mem) + "\n";
  return out;
}

// Two callers: the atomic steps in the order the schedule ran them.
std::string interleaving_lines(const Case& cs, const std::vector<AtomicStep>& steps) {
  std::string out = "two callers, interleaved (one atomic step a line; the rest of the listing is in the order the "
                    "calls returned):\n";
  std::size_t t = 0;
  for (const auto& s : steps)
    out += fmt::format("  {:>3}  caller {}  #{} {:<24} {}{}\n", ++t, s.caller, s.op, cs.ops.at(s.op).text(),
                       s.what.empty() ? "" : s.what, s.returned ? " -> returns" : "");
  return out;
}

struct Replayed {
  std::string text;  // header and steps
  nlohmann::json json;
  Outcome outcome;
};

// `found` is the case as saved; `cs` the same ops with the variant and mutant to replay under.
void explore_one(const ExploreCmd& c, const Case& found, const Case& cs, bool picture, Replayed& out) {
  const std::string& found_on = found.variant;
  const Mutant found_with = found.mutant;
  Runner runner(cs);
  auto init = runner.model().describe();
  auto steps = runner.run(true);
  std::vector<Finding> last;
  auto note = [&](const Finding& f) {
    if (f.severity == Severity::warning) return;
    last.push_back(f);
    out.outcome.add(f.severity);
  };
  for (const auto& f : runner.init_findings()) note(f);
  for (const auto& s : steps)
    for (const auto& f : s.findings) note(f);
  std::string head = fmt::format("case {}: variant {}, mutant {}, {}{}\n", c.path, cs.variant, to_string(cs.mutant),
                                 count_of(cs.ops.size(), "op"), cs.rule.empty() ? "" : ", shows " + cs.rule);
  if (cs.variant != found_on || cs.mutant != found_with)
    head += fmt::format("(replayed as {}{}; the case was found on {}{}{})\n", cs.variant,
                        cs.mutant == Mutant::none ? "" : fmt::format(" with mutant {}", to_string(cs.mutant)), found_on,
                        found_with == Mutant::none ? "" : fmt::format(" with mutant {}", to_string(found_with)),
                        cs.rule.empty() ? "" : fmt::format(", where it shows {}", cs.rule));
  // A conformance case (unpopcheck conform --cex): the kernel's side of the difference is
  // kept in the case, since explore replays the model only.
  if (cs.extra.is_object() && cs.extra.contains("difference") && cs.extra.contains("kernel"))
    head += fmt::format("model vs Linux {} ({}) in lockstep: {}\n", cs.extra.value("kernel", std::string()),
                        cs.extra.value("arch", std::string()), cs.extra.value("difference", std::string()));
  // A divergent trace (replay --cex): the kernel's choice at the last op, beside what the
  // model does there in the listing below.
  std::string divergence;
  if (cs.extra.is_object() && cs.extra.contains("divergence")) {
    const auto& d = cs.extra["divergence"];
    divergence = fmt::format("model: {} | kernel: {}", d.value("model", ""), d.value("kernel", ""));
    head += fmt::format("divergence {} of the traced kernel from {} at {}:{}, in op #{} (the last):\n  model:  {}\n  "
                        "kernel: {}\n",
                        d.value("kind", ""), d.value("variant", ""), d.value("file", ""), d.value("line", 0),
                        cs.ops.empty() ? 0 : cs.ops.size() - 1, d.value("model", ""), d.value("kernel", ""));
  }
  head += layout_lines(cs);
  if (!cs.schedule.empty()) head += interleaving_lines(cs, runner.interleaving());
  const std::string text = report::steps_text(init, runner.init_findings(), steps);
  out.text = head + text;
  out.json = report::steps_json(runner.init_findings(), steps);
  out.json["variant"] = cs.variant;
  out.json["mutant"] = to_string(cs.mutant);
  out.json["layout"] = cs.preset.empty() ? cs.layout.name : cs.preset;
  if (!cs.schedule.empty()) {
    auto& il = out.json["interleaving"] = nlohmann::json::array();
    for (const auto& s : runner.interleaving())
      il.push_back({{"caller", s.caller}, {"op", s.op}, {"what", s.what}, {"returned", s.returned}});
  }
  if (!picture) return;
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
  if (!divergence.empty()) in.subtitle += " - " + divergence;
  const std::string& file = c.svg.empty() ? c.html : c.svg;
  std::ofstream f(file);
  if (!f) throw LoadError{file, 0, "cannot write the picture"};
  f << (c.svg.empty() ? report::render_html(in, out.text) : report::render_svg(in));
  if (!f.flush()) throw LoadError{file, 0, "cannot write the picture"};
  out.text += fmt::format("picture: {} ({})\n", file, c.svg.empty() ? "HTML" : "SVG");
  out.json["picture"] = file;
}

int run(const ExploreCmd& c) {
  try {
    const Case cs = load_case(c.path);
    if (c.layout_only) return print_layout(cs.layout, case_geometry(cs), c.json);
    std::vector<std::string> variants{cs.variant};
    if (!c.variant.empty()) variants = parse_variants(c.variant);
    const bool picture = !c.svg.empty() || !c.html.empty();
    if (picture && variants.size() != 1)
      throw LoadError{c.svg.empty() ? "--html" : "--svg", 0, "draws one replay: give one --variant"};
    Outcome outcome;
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& v : variants) {
      Case one = cs;
      one.variant = v;
      if (v != cs.variant) one.mutant = Mutant::none;  // another design: the case's seeded bug is not in it
      if (!c.mutant.empty()) one.mutant = mutant_option(c.mutant);
      Replayed r;
      explore_one(c, cs, one, picture, r);
      outcome.add(r.outcome);
      if (c.json)
        runs.push_back(r.json);
      else
        std::cout << (v == variants.front() ? "" : "\n") << r.text;
    }
    if (c.json) std::cout << (runs.size() == 1 ? runs[0] : runs).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return exit_for(outcome, c.fail_on);
  } catch (const LoadError& e) {
    return input_error("explore", e, c.json);
  }
}
}  // namespace

void register_explore(CLI::App& app) {
  auto c = std::make_shared<ExploreCmd>();
  auto* sub = app.add_subcommand("explore", "replay a case (counterexample) step by step");
  sub->add_option("CASE", c->path, "a case file written by check, prove, replay or simulate")->required();
  opt::json(sub, c->json);
  opt::variant(sub, c->variant,
               " (default: the case's): replay the case's operations under each instead - does another design "
               "pass this counterexample? The case's mutant is dropped");
  opt::mutant(sub, c->mutant, " (replaces the case's)");
  opt::fail_on(sub, c->fail_on);
  sub->add_flag("--layout-only", c->layout_only, "print the case's layout as `unpopcheck layout` does, and stop");
  auto* svg = sub->add_option("--svg", c->svg, "draw the address space at the failing step (SVG)");
  auto* html = sub->add_option("--html", c->html, "the picture and the replay as one HTML page");
  svg->excludes(html);
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
