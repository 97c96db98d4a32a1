// unpopcheck rules: the rule table (model/invariants/rules.h) as a table, Markdown (the generated
// part of docs/rules.md) or JSON.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/invariants/rules.h"
#include "report/table.h"

namespace unpop::cli {
namespace {

struct RulesCmd {
  bool json = false, markdown = false;
};

int run(const RulesCmd& c) {
  if (c.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rule_table())
      j.push_back({{"id", r.id}, {"kind", to_string(r.kind)}, {"concerns", concerns_text(r.concerns)},
                   {"trace_visible", r.trace_visible}, {"history", r.history}, {"lifo_only", r.lifo_only},
                   {"rule", r.text}, {"shows", r.shows}});
    std::cout << j.dump(2) << "\n";
    return kClean;
  }
  report::Table t({"id", "kind", "concerns", "trace", "history", "rule", "a report names"});
  for (const auto& r : rule_table())
    t.add({c.markdown ? "`" + std::string(r.id) + "`" : r.id, to_string(r.kind), concerns_text(r.concerns),
           r.trace_visible ? "yes" : "no", r.history ? "yes" : "", std::string(r.text) + (r.lifo_only ? " (LIFO lists only)" : ""),
           r.shows});
  std::cout << (c.markdown ? t.markdown() : t.render());
  return kClean;
}

}  // namespace

void register_rules(CLI::App& app) {
  auto c = std::make_shared<RulesCmd>();
  auto* sub = app.add_subcommand("rules", "list every rule: id, kind, what it concerns, whether a trace shows it");
  opt::json(sub, c->json);
  sub->add_flag("--markdown", c->markdown, "a Markdown table (docs/rules.md)");
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
