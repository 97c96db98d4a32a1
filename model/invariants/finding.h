#pragma once
/// A rule broken (or a liveness finding), with the evidence a kernel developer needs.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/layout/layout.h"

namespace unpop {

/// Rule ids of ../shared/docs/invariants.md plus the ones this project adds (docs/rules.md).
struct RuleInfo {
  const char* id;
  bool liveness;     // a finding of the design, not a violation of a trace
  const char* text;  // the rule in words
};
const std::vector<RuleInfo>& rule_table();
const RuleInfo* find_rule(const std::string& id);

enum class Severity : std::uint8_t { violation, liveness, warning };
const char* to_string(Severity s);

struct Finding {
  std::string rule;
  Severity severity = Severity::violation;
  std::string message;
  std::vector<NamedRange> ranges;                          // addresses involved, named
  std::vector<std::uint64_t> pfns;                         // pages involved
  std::vector<std::pair<std::string, std::int64_t>> counts;
  std::size_t step = 0;                                    // operation index in the case
  std::string text() const;                                // one line
};

void to_json(nlohmann::json& j, const Finding& f);
void from_json(const nlohmann::json& j, Finding& f);

}  // namespace unpop
