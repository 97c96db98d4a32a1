#pragma once
/// Sets of pages as unions of symbolic runs, for `proposed` (its free pages are runs in IPA
/// order, joined across adjacent growths): the maximal runs of a set, best fit, the DMA
/// window search (fewest new pages, then lowest), the growths a window needs, and the
/// scattered take of plain allocations. Each is a Z3 relation over a bounded list of
/// candidate runs; the arithmetic comes from model/spec/alloc_spec.h, the same functions
/// model/variants/proposed.cpp calls.
#include <cstdint>
#include <functional>
#include <vector>

#include <z3++.h>

#include "solver/z3_domain.h"

namespace unpop::solver {

/// Pages [s, s + n), present when `on`.
struct PageRun {
  z3::expr s, n, on;
};

/// Is pfn q in one of the runs?
z3::expr in_runs(z3::context& c, const std::vector<PageRun>& runs, const z3::expr& q);
/// Pages of all present runs (they must be disjoint for this to be a cardinality).
z3::expr total_pages(z3::context& c, const std::vector<PageRun>& runs);

using Member = std::function<z3::expr(const z3::expr&)>;

/// The maximal runs of the set `in`, one per candidate start. A candidate c starts a run iff
/// in(c) and not in(c - 1) (and no earlier candidate has the same value); the run ends at the
/// lowest bound b > c with !in(b). Exact when `starts` holds every run start of the set and
/// `bounds` every first page after a run (the starts and ends of the runs the set is built
/// from). With `unit` > 1 every start and bound is a multiple of it (whole sections), and the
/// runs keep that visible to Z3 (k * unit).
std::vector<PageRun> maximal_runs(Z3Domain& d, const Member& in, const std::vector<z3::expr>& starts,
                                  const std::vector<z3::expr>& bounds, std::uint64_t unit = 1);

/// A chosen place: found, its first pfn, and (window search) its cost in new pages.
struct Pick {
  z3::expr found, start, cost;
};

/// proposed's best_fit: the shortest run holding n pages, the lowest on equal length.
Pick best_fit(Z3Domain& d, const std::vector<PageRun>& runs, const z3::expr& n);

/// proposed's grow_for_window choice: among windows [c, c + n) inside one run of `combined`
/// (free pool pages and growable sections), with c a combined run's start or a free run's
/// start or end - n, the one with the fewest growable pages, then the lowest.
Pick cheapest_window(Z3Domain& d, const std::vector<PageRun>& combined, const std::vector<PageRun>& free,
                     const std::vector<PageRun>& growable, const z3::expr& n);

/// The growths a window needs, in ascending order: each maximal growable piece of
/// [start, start + n) covered by whole sections (pfn runs). At most `max` pieces are
/// returned; `*overflow` is set when a window could need more (an encoding bound).
std::vector<PageRun> window_growths(Z3Domain& d, const std::vector<PageRun>& growable, const z3::expr& start,
                                    const z3::expr& n, std::uint64_t pages_per_section, std::size_t max,
                                    z3::expr* overflow);

/// proposed's take_scattered: the best-fit run when one holds n pages, else runs smallest
/// first (then lowest), each giving min(len, pages still wanted) from its start. The runs
/// taken, in that order, at most `max`; `*overflow` when more would be taken.
std::vector<PageRun> scattered_take(Z3Domain& d, const std::vector<PageRun>& free, const z3::expr& n, std::size_t max,
                                    z3::expr* overflow);

}  // namespace unpop::solver
