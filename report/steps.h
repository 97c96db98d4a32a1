#pragma once
/// Step-by-step rendering of a replayed case (simulate, explore, counterexamples): each op,
/// what it returned, the state lines that changed (a diff, as quickcheck-state-machine shows
/// model changes) and the findings.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/case/runner.h"

namespace unpop::report {

/// "- old line" / "+ new line" for lines that changed between two state snapshots.
std::vector<std::string> state_diff(const std::vector<std::string>& before, const std::vector<std::string>& after);

std::string finding_text(const Finding& f);
std::string steps_text(const std::vector<std::string>& initial_state, const std::vector<Finding>& init_findings,
                       const std::vector<StepRecord>& steps);
nlohmann::json steps_json(const std::vector<Finding>& init_findings, const std::vector<StepRecord>& steps);
nlohmann::json findings_json(const std::vector<Finding>& fs);

}  // namespace unpop::report
