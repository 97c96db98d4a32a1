#pragma once
/// The replay report: the contract's JSON object and the human-readable text.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/replay/replay.h"

namespace unpop::replay {

/// Exactly the contract's shape: verdict, events, violations, warnings, unchecked, findings,
/// other_events, and error (only for unreadable).
nlohmann::json to_json(const Result& r);
/// A usage error (exit 2) as the contract's JSON object.
nlohmann::json usage_error_json(const std::string& file, std::uint64_t line, const std::string& message);

struct TextOptions {
  std::vector<std::string> argv_hint;  // how the replay was run, for the explore hint
  std::string cex_path;                // the case file --cex DIR wrote ("" if not asked)
  std::string variant;
  std::string rerun_with_cex;          // the command that writes the case, for the hint
};
std::string to_text(const Result& r, const TextOptions& o);

}  // namespace unpop::replay
