#pragma once
/// Bounded model checking of one variant (and mutant) on one layout: the operations of the
/// model (alloc, free, dma_alloc, dma_free, each with an optional injected fault) unrolled K
/// times as a Z3 relation, the checker's rules as predicates on each step, and every
/// satisfying assignment turned back into a Case the model replays.
///
/// State (per step): the growths made so far (slots: range, flags), one record per completed
/// allocation (range for genpool/RAM allocations, count for list allocations), the kernel's
/// counters (list_count, list length, pool sizes as the variant and as the checker count
/// them), one tracked page p (a symbolic pfn: its place on page_list and on the checker's
/// reference LIFO, whether it is live and in which allocation), and per caller the phase of an
/// unlocked RFC DMA allocation in progress. Page-level rules hold for every page iff no p
/// violates them, so one symbolic page is exact for them.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/case/case.h"
#include "solver/check.h"
#include "solver/result.h"

namespace unpop::solver {

struct BmcConfig {
  Case base;                  // layout/preset, variant, page size, mutant; ops empty
  int depth = 4;              // operations (atomic steps with two callers)
  bool two_callers = false;   // only meaningful where the variant has unlocked steps (rfc)
  bool faults = true;         // allow one injected fault per operation
  std::uint64_t max_nr = 0;   // largest request; 0: 3 * PAGES_PER_SECTION
  /// Per check. A check the incremental solver has not answered within the first try moves,
  /// with the same assertions, to a fresh solver with the next random seed.
  Limits limits;
  /// Z3's random seed of the incremental solver (a check moved to a fresh solver gets the
  /// next). Query times and resource use vary with it, verdicts do not (docs/solver.md).
  unsigned z3_seed = 0;
  /// Z3's arith.solver for this BMC; none: the encoding's choice (2, the older solver, for
  /// proposed and the genpool inductive step, Z3's default otherwise).
  std::optional<unsigned> arith_solver;
  bool replay = true;
  /// Inductive step instead of BMC (list allocators: upstream, x86, the RFC's plain path): the
  /// pre-state is any state satisfying Inv (docs/solver.md), depth 1; a refutation is a
  /// counterexample to induction (a state, not a replayable run).
  bool inductive = false;
  /// With `inductive`: the genpool part of Inv instead (RFC DMA pool, V1): earlier chunks and
  /// genpool allocations, held ones inside one chunk of their pool and disjoint.
  bool inductive_genpool = false;
  /// Misbehaving callers: a step may also free an allocation already given back, free one
  /// through the other path, give back a DMA allocation with the wrong size (`dma_free_pfn`)
  /// or drain (all users gone). Such a step ends the run (the allocator's reaction to it is
  /// not encoded) and only the caller rules are checked at it.
  bool misuse = false;
};

/// Operation kinds of the encoding (the column of the report table).
enum OpKind : int { k_alloc = 0, k_free = 1, k_dma_alloc = 2, k_dma_free = 3, k_count = 4, k_drain = k_count };
const char* op_kind_name(int k);

/// Rules the BMC checks: every rule of the table but the layout and caller rules.
const std::vector<std::string>& bmc_rules();
/// The caller rules, checked with BmcConfig::misuse.
const std::vector<std::string>& misuse_rules();
/// The OpBit of an operation kind (every operation for -1).
std::uint8_t op_bits(int kind);
/// Whether `rule` can break at an operation of kind k at all (otherwise the cell is "n/a").
bool rule_applies(const std::string& rule, int kind);
/// What the variant's design says of `rule` at operations of kind k (-1: any) on a layout: the
/// Arm target is decided by the layout, every other need of a by-design finding may or may not
/// be met within the bound (registry.h, Needs).
Expect design_expectation(const std::string& variant, const std::string& rule, int kind, const Layout& l);

class Bmc {
 public:
  explicit Bmc(const BmcConfig& cfg);
  ~Bmc();
  /// Is there a run of at most `depth` operations whose last operation (of kind `kind`, or
  /// any kind if -1) breaks `rule`? Shortest counterexample on refutation (replayed through
  /// the model when cfg.replay).
  QueryResult query(const std::string& rule, int kind = -1);
  /// Any rule at all (for mutant hunting): the first refuted rule of `rules`.
  std::optional<QueryResult> first_refuted(const std::vector<std::string>& rules);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unpop::solver
