#pragma once
/// The one replayable unit: {layout, variant, page size, mutant, ops, schedule}. A property
/// counterexample, a solver refutation and a violating trace all become a Case, saved as
/// JSON (docs/case-format.md), and `unpopcheck explore CASE.json` replays any of them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/case/op.h"
#include "model/layout/layout.h"
#include "model/linux/mutants.h"
#include "model/variants/registry.h"

namespace unpop {

struct Case {
  std::string preset;              // non-empty: the layout is this preset
  Layout layout;
  std::string variant = default_variant();
  std::uint64_t page_size = 4096;
  Mutant mutant = Mutant::none;
  std::vector<Op> ops;
  /// Two callers: the caller that takes each next atomic step. Empty: ops run one after the
  /// other, each to completion.
  std::vector<int> schedule;

  // Where it came from (informational, kept through save/load).
  std::string origin;              // "check", "prove", "replay", "simulate"
  std::optional<std::uint64_t> seed;
  std::string reproduce;           // RapidCheck's reproduce string
  std::string rule;                // the rule it shows broken
  std::optional<std::size_t> failing_step;
  nlohmann::json extra;            // anything a producer wants to keep
};

nlohmann::json case_to_json(const Case& c);
/// Throws LoadError naming `file` and the JSON path that is wrong.
Case case_from_json(const nlohmann::json& j, const std::string& file);
Case load_case(const std::string& path);
void save_case(const std::string& path, const Case& c);

/// Parses a script (one op per line, `#` comments). Throws LoadError{file, line, what}.
/// `lines`, if given, gets each op's line in `text`. References are checked as
/// check_references() does, with the line of the op.
std::vector<Op> parse_script(const std::string& text, const std::string& file,
                             std::vector<std::size_t>* lines = nullptr);

/// free/dma_free #K must name an earlier allocation, and a slice (OFFSET COUNT) must lie inside
/// the N pages it asked for. Throws LoadError{file, line of the op (lines[i], or 0)}.
void check_references(const std::vector<Op>& ops, const std::string& file, const std::vector<std::size_t>& lines = {});

}  // namespace unpop
