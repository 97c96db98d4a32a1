#pragma once
/// Part 1 of the solver: static checks of a layout (extended regions disjoint from each other
/// and from RAM, reserved memory, MMIO and the grant table; Linux's holes exactly the gaps;
/// per region and page size, whether a whole section fits, with the witness or the reason),
/// the universal form over every layout Xen's extended-region rules allow, and the 64-bit
/// wrap-around check of allocate_resource()'s arithmetic.
#include <cstdint>
#include <string>
#include <vector>

#include "model/layout/layout.h"
#include "model/linux/mutants.h"
#include "solver/check.h"
#include "solver/result.h"

namespace unpop::solver {

std::vector<QueryResult> layout_checks(const Layout& l, const std::string& preset,
                                       const std::vector<std::uint64_t>& page_sizes, const Limits& lim);

/// For all layouts Xen can emit (two regions, 2 MiB aligned, >= 64 MiB, sorted, disjoint from
/// one RAM bank, one MMIO range and the grant table): the first growth fill_list() makes lands
/// inside one region and avoids RAM and devices, and is whole sections. With `m` a mutant,
/// the same queries under it (counterexamples are layouts + `alloc N`, replayed).
std::vector<QueryResult> universal_checks(std::uint64_t page_size, Mutant m, const Limits& lim, bool replay);

/// The same layouts, any two earlier growths satisfying the growth part of Inv (whole
/// sections inside one region, off RAM and devices, in the pluggable range, linked; or rolled
/// back), and the next fill_list() with any request (up to four sections) and any fault: the
/// new growth avoids RAM and devices, lies in one region, is whole sections, and satisfies the
/// growth part of Inv, disjoint from the earlier ones (inv-preserved). A refutation is a
/// counterexample to induction (no replay).
std::vector<QueryResult> universal_later_growth(std::uint64_t page_size, Mutant m, const Limits& lim);

/// Largest region Xen can emit that holds no whole section, per page size (never usable).
std::vector<QueryResult> never_usable(const Limits& lim);

/// 64-bit bit-vector check: allocate_resource's fit test (ALIGN + `gap_e - start >= size - 1`)
/// never accepts a range whose end `start + size - 1` wraps past 2^64 - 1.
std::vector<QueryResult> wrap_checks(const Limits& lim);

}  // namespace unpop::solver
