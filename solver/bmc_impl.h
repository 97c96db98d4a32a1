#pragma once
/// Internal to the BMC (solver/bmc*.cpp): the encoding's shared state, Bmc::Impl, declared once
/// and defined one concern per file:
///   bmc.cpp               the variant's traits -> which encodings run; rule lists; Bmc's API
///   bmc_state.cpp         pre-states (boot, the two symbolic inductive ones), state merge, pool
///                         membership of the tracked page
///   bmc_growth.cpp        one growth as a slot, with the checker's growth rules; the counts
///   bmc_list.cpp          the LIFO page_list (fill_list + pop, push on free)
///   bmc_genpool.cpp       genpool best fit, an allocation with fill and retry, its sizes
///   bmc_proposed.cpp      proposed: page runs, its growth loop, the DMA window
///   bmc_liveness.cpp      could_serve / serve_window (what the checker's liveness rules ask)
///   bmc_callers.cpp       misuse: which allocation a free names, the caller rules, genpool's
///                         acceptance of a free
///   bmc_unlocked_dma.cpp  the RFC's unlocked DMA path, stepped by two callers
///   bmc_step.cpp          the per-step relation (build)
///   bmc_query.cpp         the query driver: proofs, shortest counterexamples, the design's word
///   bmc_cex.cpp           a model -> the replayable Case
/// The order in which the encoding makes its Z3 terms, and how long it keeps them, is part of
/// its behaviour: Z3 numbers terms as they are made (reusing the numbers of terms no longer
/// held) and its search depends on those numbers, so its resource use does; its answers do not.
/// Code moved between these files keeps its order.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <z3++.h>

#include "model/case/case.h"
#include "model/core/geometry.h"
#include "solver/bmc.h"
#include "solver/check.h"
#include "solver/grow.h"
#include "solver/page_runs.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

/// What a misusing caller does at a step (BmcConfig::misuse); none for well-behaved callers.
enum Misuse : int {
  misuse_none = 0,
  misuse_free_again = 1,   // free an allocation already given back
  misuse_other_path = 2,   // free a live allocation through the other path (plain <-> DMA)
  misuse_wrong_size = 3,   // give back a live DMA range with the wrong size (dma_free_pfn)
  misuse_last = misuse_wrong_size,
};

struct Bmc::Impl {
  using expr = z3::expr;
  using Violations = std::map<std::string, expr>;  // rule -> broken at this step

  /// One completed allocation (or, in inductive mode, one assumed earlier).
  struct Rec {
    expr made, ok, dma, ram, list, s, n, chunk, popped, rev, fired;
  };

  /// The state before a step: the allocator's counters, the checker's, the tracked page p.
  struct State {
    std::vector<expr> live, held;  // per record
    expr lc, ll, vpool0, pool0, pool1, live0, live1, ram_taken;
    expr pl, pd, prl, prd, plive, powner, pidx, lifo_ok;
    expr oops;
    expr pc[2], cn[2];  // two callers: RFC DMA phase (0 idle, 1 first alloc failed, 2 filled), request
  };

  /// One step's choices (operation, request, record, fault, caller, misuse) and what they
  /// select. Every member is set in step order; the placeholders are never used.
  struct Step {
    explicit Step(z3::context& c)
        : K(c.bool_val(false)), N(K), R(K), F(K), W(K), FA(K), M(K), MN(K), act(K), cont(K), cont_pc(K), cont_n(K),
          startop(K), is_alloc(K), is_free(K), is_dalloc(K), is_dfree(K), is_drain(K), terminal(K), misuse_bug(K) {}
    expr K, N, R, F, W, FA, M, MN;
    expr act, cont, cont_pc, cont_n, startop;
    expr is_alloc, is_free, is_dalloc, is_dfree, is_drain, terminal, misuse_bug;
  };

  struct Filled {  // fill_list's outcome: the growth, and page_list / the reference LIFO after it
    GrowOut g;
    expr failed, pl, pd, lc, ll, vpool0, prl, prd;
  };
  struct GpOut {
    expr ok, start, chunk;
  };
  struct Runs {
    std::vector<PageRun> free, growable, combined;
  };
  struct Grown {  // proposed: what an operation's growths left
    expr a_failed, d_go, fired;
  };

  // ---- configuration (bmc.cpp) ---------------------------------------------------------
  BmcConfig cfg;
  Geometry geo;
  z3::context c;
  Z3Domain d{c};
  z3::solver s{c};
  World w;
  std::string variant;
  Mutant mut;
  std::uint64_t pps, page;
  bool arm = true;
  bool list_plain = false;   // plain allocations come off page_list
  bool gp_dma = false;       // a DMA genpool of its own (pool 1)
  bool gp_plain = false;     // one genpool for everything (pool 0)
  bool proposed = false;     // page runs
  bool cma_dma = false;      // DMA from CMA RAM
  bool cma_fallback = false; // DMA falls back to CMA when the genpool cannot serve
  std::vector<Range> seeds;  // xen_extra_mem put in the pool at init
  std::vector<Range> free_sections;  // concrete whole sections of the target's usable space
  std::uint64_t ram_pages = 0;
  // proposed: whole sections the kernel lets it grow into at boot (Kernel::growable_space, pfn
  // runs), the page runs of each record, and how many growths one operation may make (enough
  // for the largest request) and runs one allocation may take.
  std::vector<PageRun> grow_blocks;
  std::vector<expr> slot_first;  // proposed: first pfn of each growth's window (= its start)
  std::vector<std::vector<PageRun>> rec_runs;
  std::size_t growths_per_op = 1, runs_per_alloc = 1;
  std::vector<expr> bound_hit;  // per step: the run had to go beyond an encoding bound
  // Misuse: per step the kind of misuse (Misuse) and the pages that free gives; per record
  // whether the tracked page p is one of its pages; whether an earlier step ended the run, and
  // whether any free happened yet.
  std::vector<expr> misuse_kind, misuse_nr;
  std::vector<expr> rec_pin;
  expr ended = c.bool_val(false), any_free = c.bool_val(false);
  expr gp_over = c.bool_const("gp_over");  // misuse: genpool's acceptance over-approximated

  expr p;  // tracked pfn
  std::vector<Slot> slots;
  std::vector<expr> slot_pages;
  std::vector<Rec> recs;
  std::vector<State> st;      // st[t] = state before step t
  std::vector<expr> kind, nr, ref, fault, fault_at, who;  // per step (fault_at: which growth)
  std::map<std::string, std::vector<expr>> viol;        // rule -> per step
  std::vector<expr> step_kind;  // kind of the op completing/acting at step t (for the column)
  int depth = 0;
  bool two = false;
  std::map<int, z3::check_result> vacuity;  // inductive: Inv and a step of this kind are satisfiable
  unsigned seed0 = 0;                         // Z3's random seed (a moved check uses the next)
  std::optional<unsigned> arith_solver;       // Z3's arith.solver, when not its default
  std::vector<expr> rec_pools;

  explicit Impl(const BmcConfig& cf);

  // Checks of the incremental solver, which may move to a fresh one (check_or_move).
  Answer check_now() { return check_or_move(s, cfg.limits, Tuning{seed0 + 1, arith_solver}); }
  CheckFn how() {
    return [this](z3::solver& solver, const Limits& lim) {
      return check_or_move(solver, lim, Tuning{seed0 + 1, arith_solver});
    };
  }

  expr I(std::int64_t v) { return c.int_val(static_cast<int64_t>(v)); }
  expr U(std::uint64_t v) { return c.int_val(static_cast<uint64_t>(v)); }
  expr B(bool b) { return c.bool_val(b); }
  expr pfn(const expr& a) { return d.floor_div(a, page); }

  // ---- pre-states and pool membership (bmc_state.cpp) -----------------------------------
  State initial();
  State symbolic_initial();
  State symbolic_initial_genpool();
  void merge(State& x, const State& y, const expr& cond);
  expr in_slot_pages(std::size_t j, const expr& x);
  expr in_pool(const expr& x);
  expr in_live_range(const State& x, const expr& q);

  // ---- growth and counts (bmc_growth.cpp) -----------------------------------------------
  GrowOut grow(State& x, const expr& active, const expr& alloc_pages, const expr& f, int pool, bool slip, bool gp_add,
               const std::string& tag, Violations& v, const expr* win_s = nullptr, const expr* win_e = nullptr);
  void counts(const State& x, const expr& active, Violations& v);

  // ---- LIFO page_list (bmc_list.cpp) ----------------------------------------------------
  Filled list_fill(State& x, const expr& active, const expr& n, const expr& f, Violations& v, int t);
  void list_alloc(State& x, const expr& active, const expr& n, const expr& f, Rec& r, Violations& v, int t);
  void list_push_record(State& x, const expr& active, std::size_t j);

  // ---- genpool (bmc_genpool.cpp) --------------------------------------------------------
  GpOut gp_alloc(const State& x, int pool, const expr& n, const std::vector<Slot>& ss, const std::vector<expr>& pages);
  expr gp_avail(const State& x, int pool);
  expr gp_size(int pool);
  expr rec_pool(std::size_t r) { return rec_pools[r]; }
  void gp_alloc_op(State& x, const expr& active, const expr& n, const expr& f, int pool, bool slip, Rec& r,
                   Violations& v, int t, bool dma_path, expr* failed_out);
  expr overlaps_live_range(const State& x, const expr& s0, const expr& n);

  // ---- proposed (bmc_proposed.cpp) ------------------------------------------------------
  void init_proposed(bool use_iomem);
  std::vector<PageRun> pool_runs();
  std::vector<PageRun> live_runs(const State& x);
  std::vector<PageRun> tree_runs();
  Runs proposed_runs(const State& x);
  std::vector<PageRun> free_runs_now(const State& x);
  GrowOut proposed_grow(State& x, const expr& active, const expr& first, const expr& pages, const expr& f,
                        const std::string& tag, Violations& v);
  void check_taken(const State& x, const std::vector<PageRun>& taken, const expr& done, const expr& n, Violations& v);
  Grown proposed_growths(State& x, const Runs& pre, const expr& is_alloc, const expr& n, const expr& f, const expr& fat,
                         const std::vector<PageRun>& pieces, expr d_go, Violations& v, int t);
  std::vector<PageRun> proposed_step(State& x, const expr& is_alloc, const expr& is_dalloc, const expr& n,
                                     const expr& f, const expr& fat, Rec& r, Violations& v, int t);

  // ---- liveness (bmc_liveness.cpp) ------------------------------------------------------
  std::size_t section_cap() const;
  void compute_free_sections();
  expr section_free(std::size_t i);
  expr could_serve(const State& x, const expr& n, bool contiguous);
  expr serve_window(const State& x, const expr& n, const std::vector<expr>& sec_free);

  // ---- callers (bmc_callers.cpp) --------------------------------------------------------
  void pick_reference(const State& x, const Step& in, const expr& is_op, bool dma);
  expr record_has_p(const State& after, const Rec& r, const std::vector<PageRun>& runs);
  expr p_live(const State& x, bool dma);
  expr genpool_accepts(const State& x, const expr& first, const expr& n);
  expr genpool_holds_p(const State& x);
  bool genpool_frees(bool dma) const;
  void caller_rules(const State& x, Violations& v, Step& in);
  void wrong_size_rules(const State& x, Violations& v, const Step& in, std::size_t j, const expr& freed);
  expr ever_handed_p();

  // ---- the RFC's unlocked DMA path (bmc_unlocked_dma.cpp) --------------------------------
  void unlocked_dma_step(State& x, Rec& r, expr& rpool, Violations& v, int t, const Step& in);

  // ---- the per-step relation (bmc_step.cpp) ---------------------------------------------
  void build();
  void step(State& x, int t);
  Step choose(const State& x, int t);
  /// The step frees record j through the path `is_op` selects.
  expr sel(const Step& in, std::size_t j, const expr& is_op) { return is_op && in.R == I(static_cast<int>(j)); }
  std::vector<PageRun> proposed_op(State& x, const Step& in, Rec& r, Violations& v, int t);
  void plain_alloc(State& x, const Step& in, Rec& r, Violations& v, int t);
  void dma_alloc(State& x, const Step& in, Rec& r, expr& rpool, Violations& v, int t);
  void dma_from_cma(State& x, const Step& in, Rec& r, Violations& v);
  void dma_from_own_genpool(State& x, const Step& in, Rec& r, expr& rpool, Violations& v, int t);
  void dma_from_shared_genpool(State& x, const Step& in, Rec& r, Violations& v, int t);
  void free_record(State& x, const Step& in, std::size_t j, std::vector<expr>& live1, std::vector<expr>& held1);
  void complete(State& x, const Step& in, Rec& r, const expr& rpool, const std::vector<PageRun>& runs);
  void collect(const Step& in, Violations& v);

  // ---- the query driver (bmc_query.cpp) -------------------------------------------------
  bool not_vacuous(int kind, QueryResult& q);
  void shortest(QueryResult& q, const std::function<expr(int)>& at, const std::string& rule);
  bool as_designed(const QueryResult& q, const std::string& rule, int kind);

  // ---- counterexamples (bmc_cex.cpp) ----------------------------------------------------
  Op case_op(const z3::model& m, int t, const std::map<int, int>& rec_op);
  Case extract(const z3::model& m, int last);
  std::string describe(const z3::model& m, int last);
};

}  // namespace unpop::solver
