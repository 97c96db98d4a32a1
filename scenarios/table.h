#pragma once
/// The text table of `unpopcheck scenario`: one row per scenario x variant, grouped by layout and
/// page size, one column per counter.
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace unpop::scen {

/// Rows of one layout and page size (the caller groups). `markdown` renders a pipe table.
std::string results_table(const std::vector<RunResult>& runs, bool markdown = false);
/// What the columns mean, one line each.
std::string column_legend();

}  // namespace unpop::scen
