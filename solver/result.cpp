#include "solver/result.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/case/runner.h"

namespace unpop::solver {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::proved: return "proved";
    case Verdict::refuted: return "refuted";
    default: return "unknown";
  }
}

void to_json(nlohmann::json& j, const QueryResult& r) {
  j = nlohmann::json{{"group", r.group},       {"variant", r.variant}, {"mutant", r.mutant},
                     {"rule", r.rule},         {"op", r.op},           {"verdict", to_string(r.verdict)},
                     {"expected", r.expected_ok}, {"seconds", r.seconds}, {"rlimit", r.rlimit},
                     {"rlimit_total", r.rlimit_total}, {"moved", r.moved},
                     {"depth", r.depth},
                     {"detail", r.detail}};
  if (r.cex) j["counterexample"] = case_to_json(*r.cex);
  if (r.replayed) j["replayed"] = *r.replayed;
  if (!r.replay_note.empty()) j["replay_note"] = r.replay_note;
}

bool replay_shows(Case& c, const std::string& rule, std::string* note) {
  try {
    Runner run(c);
    for (const auto& f : run.init_findings())
      if (f.rule == rule) {
        if (note) *note = "before the first op: " + f.message;
        return true;
      }
    auto steps = run.run(false);
    for (const auto& s : steps)
      for (const auto& f : s.findings)
        if (f.rule == rule) {
          c.failing_step = s.index;
          if (note) *note = fmt::format("step {} ({}): {}", s.index, s.op.text(), f.message);
          return true;
        }
    if (note) {
      std::string seen;
      for (const auto& s : steps)
        for (const auto& f : s.findings) seen += fmt::format(" [{}:{}]", s.index, f.rule);
      *note = fmt::format("the model did not show {}; it showed:{}", rule, seen.empty() ? " nothing" : seen);
    }
    return false;
  } catch (const LoadError& e) {
    if (note) *note = "replay failed to load: " + e.what();
    return false;
  }
}

}  // namespace unpop::solver
