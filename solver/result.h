#pragma once
/// One answered query of `unpopcheck prove`: what was asked, what Z3 said, how long it took,
/// and for a refutation the counterexample as a replayable Case plus what the replay showed.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/case/case.h"

namespace unpop::solver {

enum class Verdict { proved, refuted, unknown };
const char* to_string(Verdict v);

struct QueryResult {
  std::string group;    // "layout", "universal", "wrap", "bmc"
  std::string variant;  // "" for layout queries
  std::string mutant = "none";
  std::string rule;     // rule id of docs/rules.md (model/invariants/rules.h)
  std::string op;       // operation column: alloc, free, dma_alloc, dma_free, fault, race, layout, ...
  Verdict verdict = Verdict::unknown;
  bool expected_ok = true;  // verdict is what the design says (holds by design -> proved, ...)
  double seconds = 0;       // time of its checks (and of wording their models)
  std::uint64_t rlimit = 0;        // Z3 resource units its largest check needed (what a budget must cover)
  std::uint64_t rlimit_total = 0;  // Z3 resource units of all its checks (spent first tries included)
  int moved = 0;                   // checks moved to a fresh solver (Limits::first_try)
  int depth = 0;            // BMC: bound used (proved) or length of the counterexample (refuted)
  std::string detail;       // witness, reason, or why unknown
  std::optional<Case> cex;  // refutations that can be replayed
  std::optional<bool> replayed;  // the model showed the same rule
  std::string replay_note;
};

void to_json(nlohmann::json& j, const QueryResult& r);

/// Replays a counterexample Case through the model with the invariant checker attached and
/// reports whether `rule` shows up (the step where it first shows is stored in failing_step).
bool replay_shows(Case& c, const std::string& rule, std::string* note);

}  // namespace unpop::solver
