#pragma once
/// SVG charts of scenario runs, self-contained (no scripts, no external fonts), meant to be
/// pasted into a mailing-list post or a markdown page:
///  - timeline_svg: one scenario on one layout and page size; six small panels (RAM taken,
///    P2M superpages broken, balloon hypercalls, pool mapped, pool idle, failures) over simulated
///    time, one line per variant. Lines that coincide are drawn as nested stripes (wider first).
///  - summary_svg: one layout and page size; the same counters as grouped bars, scenario x variant.
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace unpop::scen {

/// `runs`: one per variant, each with a series (run_workload(..., series = true)).
std::string timeline_svg(const std::vector<RunResult>& runs, const std::string& title);
/// `runs`: scenario x variant results of one layout and page size.
std::string summary_svg(const std::vector<RunResult>& runs, const std::string& title);

/// The colour the charts give a variant (also used in the docs' legends).
std::string variant_colour(const std::string& variant);

}  // namespace unpop::scen
