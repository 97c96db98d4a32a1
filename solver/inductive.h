#pragma once
/// Inductive step for the growth part of the state invariant Inv: for an *arbitrary* state
/// whose growths satisfy Inv (each whole sections, inside one extended region, off RAM and
/// devices, linked in the target tree (and mirrored in iomem on Arm) and memremap'ed, pairwise
/// disjoint; failed growths rolled back), one more growth -- with any request, any injected
/// fault, through the variant's fill function -- keeps Inv and breaks none of the growth rules.
/// Unbounded in the number of operations: the pre-state is not reached from init, only
/// assumed to satisfy Inv. Each rule relates the new growth to each earlier one separately, so
/// two symbolic earlier growths (beside the layout's own children) stand for any number.
#include <string>
#include <vector>

#include "model/case/case.h"
#include "solver/check.h"
#include "solver/result.h"

namespace unpop::solver {

/// Rules: ram-overlap, device-overlap, outside-ext-region (Arm), growth-misaligned,
/// growth-overlap, and "inv-preserved" (the new state satisfies Inv again).
std::vector<QueryResult> inductive_growth(const Case& base, const Limits& lim);

}  // namespace unpop::solver
