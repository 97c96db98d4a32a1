#pragma once
/// A rule broken (or a liveness finding), with the evidence a kernel developer needs.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/invariants/rules.h"
#include "model/layout/layout.h"

namespace unpop {

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
