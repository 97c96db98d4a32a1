#include "solver/bmc.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>

#include <boost/icl/interval_set.hpp>
#include <fmt/format.h>

#include "model/case/runner.h"
#include "model/core/errno.h"
#include "model/linux/kernel.h"
#include "model/spec/alloc_spec.h"
#include "solver/grow.h"
#include "solver/page_runs.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

const char* op_kind_name(int k) {
  static const char* n[] = {"alloc", "free", "dma_alloc", "dma_free", "drain"};
  return k >= 0 && k <= k_drain ? n[k] : "any";
}

const std::vector<std::string>& bmc_rules() {
  static const std::vector<std::string> r =
      rules_of({RuleKind::placement, RuleKind::safety, RuleKind::conformance, RuleKind::liveness});
  return r;
}

const std::vector<std::string>& misuse_rules() {
  static const std::vector<std::string> r = rules_of({RuleKind::caller});
  return r;
}

std::uint8_t op_bits(int kind) {
  switch (kind) {
    case k_alloc: return op_alloc;
    case k_free: return op_free;
    case k_dma_alloc: return op_dma_alloc;
    case k_dma_free: return op_dma_free;
    default: return op_any;
  }
}

bool rule_applies(const std::string& rule, int kind) {
  const RuleInfo* r = find_rule(rule);
  return r && r->applies_to(op_bits(kind));
}

Expect design_expectation(const std::string& variant, const std::string& rule, int kind, const Layout& l) {
  const VariantInfo& v = variant_info(variant);
  std::vector<Needs> present, possible;
  for (Needs n : all_needs())
    if (n != Needs::nothing && n != Needs::arm_target) possible.push_back(n);  // the bound may or may not reach it
  if (!uses_iomem_target(v, l)) present.push_back(Needs::arm_target);         // the layout decides this one
  return expectation(v, rule, op_bits(kind), present, possible);
}

namespace {

using z3::expr;
using Clock = std::chrono::steady_clock;

enum class Kind { list, genpool, none };

struct Rec {
  expr made, ok, dma, ram, list, s, n, chunk, popped, rev, fired;
};

struct State {
  std::vector<expr> live, held;  // per record
  expr lc, ll, vpool0, pool0, pool1, live0, live1, ram_taken;
  expr pl, pd, prl, prd, plive, powner, pidx, lifo_ok;
  expr oops;
  expr pc[2], cn[2];  // two callers: RFC DMA phase (0 idle, 1 first alloc failed, 2 filled), request
};

}  // namespace

struct Bmc::Impl {
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
  bool gp_dma = false;       // RFC DMA genpool (pool 1)
  bool gp_plain = false;     // V1: one genpool for everything (pool 0)
  bool proposed = false;
  bool cma_dma = false;      // upstream/x86: DMA from CMA RAM
  bool v1_fallback = false;  // V1: DMA falls back to CMA
  std::vector<Range> seeds;  // x86 xen_extra_mem
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
  // Misuse: per step the kind of misuse (0 none, 1 free again, 2 other path, 3 wrong-size DMA
  // free) and the pages that free gives; per record whether the tracked page p is one of its
  // pages; whether an earlier step ended the run, and whether any free happened yet.
  std::vector<expr> misuse_kind, misuse_nr;
  std::vector<expr> rec_pin;
  expr ended = c.bool_val(false), any_free = c.bool_val(false);
  expr gp_over = c.bool_const("gp_over");  // misuse: genpool's acceptance over-approximated

  expr p;  // tracked pfn
  std::vector<Slot> slots;
  std::vector<expr> slot_pages;
  std::vector<Rec> recs;
  std::vector<State> st;      // st[t] = state before step t
  std::vector<expr> kind, nr, ref, fault, fault_at, who, starts;  // per step (fault_at: which growth)
  std::map<std::string, std::vector<expr>> viol;        // rule -> per step
  std::vector<expr> step_kind;  // kind of the op completing/acting at step t (for the column)
  int depth = 0;
  bool two = false;
  std::map<int, z3::check_result> vacuity;  // inductive: Inv and a step of this kind are satisfiable
  unsigned seed0 = 0;                         // Z3's random seed (check() retries with the next)
  std::optional<unsigned> arith_solver;       // Z3's arith.solver, when not its default

  explicit Impl(const BmcConfig& cf) : cfg(cf), w{true, true, {c.int_val(0), c.int_val(0)}, {}, {}, {c.int_val(0), c.int_val(0)}, {}, {}, {}, {c.int_val(0), c.int_val(0)}}, p(c.int_const("p")) {
    geo = case_geometry(cfg.base);
    variant = cfg.base.variant;
    mut = cfg.base.mutant;
    pps = geo.pages_per_section();
    page = geo.page_size();
    const Layout& l = cfg.base.layout;
    const VariantInfo& info = variant_info(variant, "variant");
    const VariantTraits& tr = info.traits;
    bool use_iomem = uses_iomem_target(info, l);
    arm = !use_iomem;
    w = world_from_layout(c, l, geo, use_iomem, mut);
    list_plain = tr.pool == PoolKind::lifo_list;
    gp_dma = tr.dma == DmaSource::own_genpool;
    gp_plain = tr.pool == PoolKind::genpool;
    proposed = tr.pool == PoolKind::runs;
    cma_dma = tr.dma == DmaSource::cma_ram;
    v1_fallback = tr.cma_fallback;
    // The encodings below cover these combinations of plain pool and DMA source; any other is
    // refused rather than encoded as something else.
    const bool encoded = (list_plain && (cma_dma || gp_dma)) || (gp_plain && tr.dma == DmaSource::shared_pool) ||
                         (proposed && tr.dma == DmaSource::shared_pool && !tr.cma_fallback);
    if (!encoded)
      throw std::invalid_argument(fmt::format("variant {}: the BMC encodes no such pool and DMA source combination",
                                              variant));
    if (seeds_extra_mem(info, l))
      for (const auto& r : l.extra_mem) seeds.push_back(r.range);
    for (const auto& r : l.ram) ram_pages = std::max<std::uint64_t>(ram_pages, r.range.size() / page);
    two = cfg.two_callers && tr.unlocked_dma;
    depth = cfg.depth;
    if (cfg.max_nr == 0) cfg.max_nr = 3 * pps;
    compute_free_sections();
    if (proposed) init_proposed(use_iomem);
    // proposed's run relations (many if-then-else over integer bounds) solve about twice as fast
    // with the older arithmetic solver; UNPOP_Z3_ARITH overrides it for experiments.
    // So do the genpool inductive queries, which time out now and then with the default one.
    // UNPOP_Z3_SEED sets Z3's random seed (query times vary with it: docs/solver.md).
    if (proposed || cfg.inductive_genpool) arith_solver = 2u;
    if (const char* a = std::getenv("UNPOP_Z3_ARITH")) arith_solver = static_cast<unsigned>(std::atoi(a));
    if (const char* a = std::getenv("UNPOP_Z3_SEED")) seed0 = static_cast<unsigned>(std::atoi(a));
    tune(s, Tuning{seed0, arith_solver});
    build();
  }

  // Every check of the incremental solver may move to a fresh one with the next seed
  // (check_or_move: V1's genpool inductive `count-mismatch` on dma_alloc took 0.3-5 s alone
  // whatever the seed, 9-13 s after the other inductive queries of its job).
  Answer check_now() { return check_or_move(s, cfg.limits, Tuning{seed0 + 1, arith_solver}); }
  CheckFn how() {
    return [this](z3::solver& solver, const Limits& lim) {
      return check_or_move(solver, lim, Tuning{seed0 + 1, arith_solver});
    };
  }

  // ---- helpers -----------------------------------------------------------------------------
  expr I(std::int64_t v) { return c.int_val(static_cast<int64_t>(v)); }
  expr U(std::uint64_t v) { return c.int_val(static_cast<uint64_t>(v)); }
  expr B(bool b) { return c.bool_val(b); }
  expr pfn(const expr& a) { return d.floor_div(a, page); }
  expr sum(const std::vector<expr>& v) {
    expr out = I(0);
    for (const auto& e : v) out = out + e;
    return out;
  }

  // How many of the target's free sections could_serve looks at: enough that a run grows into
  // at most (depth + 1) * (sections per request + 1) of them and the largest request still
  // sees all it can use, so cutting the list there changes no answer within the bound.
  std::size_t section_cap() const {
    std::size_t per = static_cast<std::size_t>((cfg.max_nr + pps - 1) / pps) + 1;
    return static_cast<std::size_t>(std::max(1, depth) + 1) * per + per;
  }
  void compute_free_sections() {
    namespace icl = boost::icl;
    using Iv = icl::interval_set<Addr>::interval_type;
    const Layout& l = cfg.base.layout;
    icl::interval_set<Addr> space;
    Range plug = pluggable_range(l, geo);
    if (arm) {
      for (const auto& r : l.ext_regions) space += Iv::closed(r.start, r.end);
    } else {
      space += Iv::closed(0, iomem_span(l).end);
    }
    space &= Iv::closed(plug.start, plug.end);
    for (const auto& r : l.ram) space -= Iv::closed(r.range.start, r.range.end);
    for (const auto& r : l.devices()) space -= Iv::closed(r.range.start, r.range.end);
    for (const auto& r : l.extra_mem) space -= Iv::closed(r.range.start, r.range.end);
    const Addr sec = geo.section_size();
    for (const auto& iv : space) {
      auto win = spec::section_window(spec::U64{}, icl::first(iv), icl::last(iv), sec);
      if (!win.usable) continue;
      for (Addr a = win.start; a < win.end && free_sections.size() < section_cap(); a += sec)
        free_sections.push_back({a, a + sec - 1});
    }
  }

  // Is the concrete section i still free (no growth made it pool)?
  expr section_free(std::size_t i) {
    expr ok = B(true);
    for (std::size_t j = 0; j < slots.size(); ++j)
      ok = ok && !(slots[j].pooled && spec::overlaps(d, U(free_sections[i].start), U(free_sections[i].end), slots[j].s, slots[j].e));
    return ok;
  }
  // Checker::could_serve: free pool pages plus the target's unused whole sections. Exact for
  // scattered requests (see section_cap). For contiguous ones: exact for proposed and V1
  // (serve_window); the RFC's misses its free page_list pages, and upstream/x86 count runs of
  // free sections only (list pools keep no page identities here) -- under-approximations, so a
  // refutation is real and "proved" means "not within this bound and approximation".
  expr could_serve(const State& x, const expr& n, bool contiguous) {
    if (!w.has_target) return B(false);
    std::vector<expr> f;
    for (std::size_t i = 0; i < free_sections.size(); ++i) f.push_back(d.name(section_free(i), "sec_free"));
    if (contiguous && (proposed || gp_plain || gp_dma)) return serve_window(x, n, f);
    if (contiguous) {
      expr any = B(false);
      const std::size_t most = static_cast<std::size_t>((cfg.max_nr + pps - 1) / pps);
      for (std::size_t i = 0; i < f.size(); ++i) {
        expr run = f[i];
        for (std::size_t k = 1; k <= most && i + k <= f.size(); ++k) {
          if (k > 1) {
            if (free_sections[i + k - 1].start != free_sections[i + k - 2].end + 1) break;
            run = run && f[i + k - 1];
          }
          any = any || (run && n <= U(k * pps));
        }
      }
      return any;
    }
    expr free_sec = I(0);
    for (const auto& e : f) free_sec = free_sec + z3::ite(e, I(1), I(0));
    expr free_pool = x.pool0 + x.pool1 - x.live0 - x.live1;
    return free_pool + free_sec * U(pps) >= n;
  }

  // Checker::could_serve for a contiguous request where the encoding knows the free pool
  // pages page by page: some window [c, c + n) (c a fresh unknown: could_serve only occurs
  // positively, so Z3 picking c is "there is a window") inside one block of adjacent target
  // sections and seeds, every section it touches unused or pool (proposed, V1: any growth; the
  // RFC: a DMA chunk), and no page of it live (proposed's live runs) or held by genpool. Linear
  // in the sections and records (the maximal runs of the same set are quadratic and slowed
  // every query of the RFC and V1 down). The RFC's free page_list pages are not counted.
  expr serve_window(const State& x, const expr& n, const std::vector<expr>& sec_free) {
    struct Piece {
      std::uint64_t lo, hi;  // pfn [lo, hi)
      expr usable;
    };
    std::vector<Piece> pieces;
    for (std::size_t i = 0; i < free_sections.size(); ++i) {
      const Range& sec = free_sections[i];
      expr pooled = B(false);
      for (const Slot& sl : slots)
        pooled = pooled || (sl.pooled && (gp_dma ? sl.pool == I(1) : B(true)) && sl.s <= U(sec.start) && U(sec.end) <= sl.e);
      pieces.push_back({sec.start / page, (sec.end + 1) / page, sec_free[i] || pooled});
    }
    // proposed's seeds are its own pool (live runs excluded below); the RFC's are page_list
    // pages, whose live ones the encoding does not know: left out (under-approximation).
    if (proposed)
      for (const auto& r : seeds) pieces.push_back({r.start / page, r.end / page + 1, B(true)});
    std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.lo < b.lo; });
    expr c0 = d.int_var("serve_c"), e0 = c0 + n;
    expr inside = B(false), usable = B(true), none_used = B(true);
    for (std::size_t i = 0; i < pieces.size();) {
      std::size_t k = i;
      while (k + 1 < pieces.size() && pieces[k + 1].lo == pieces[k].hi) ++k;
      inside = inside || (U(pieces[i].lo) <= c0 && e0 <= U(pieces[k].hi));
      i = k + 1;
    }
    for (const Piece& p : pieces) usable = usable && (!(c0 < U(p.hi) && U(p.lo) < e0) || p.usable);
    auto clear_of = [&](const expr& on, const expr& rs, const expr& rn) { return !(on && rs < e0 && c0 < rs + rn); };
    if (proposed) {
      for (const auto& r : live_runs(x)) none_used = none_used && clear_of(r.on, r.s, r.n);
    } else {
      for (std::size_t k = 0; k < recs.size(); ++k) none_used = none_used && clear_of(x.held[k], recs[k].s, recs[k].n);
    }
    return inside && usable && none_used;
  }

  // Pfn range of slot j (as the checker counts a growth: PFN_DOWN(start)..PFN_DOWN(end)).
  expr in_slot_pages(std::size_t j, const expr& x) {
    return slots[j].pooled && pfn(slots[j].s) <= x && x <= pfn(slots[j].e);
  }
  expr in_pool(const expr& x) {
    expr o = B(false);
    for (std::size_t j = 0; j < slots.size(); ++j) o = o || in_slot_pages(j, x);
    for (const auto& r : seeds) o = o || (U(r.start / page) <= x && x <= U(r.end / page));
    return o;
  }
  expr in_live_range(const State& x, const expr& q) {
    expr o = B(false);
    for (std::size_t j = 0; j < recs.size(); ++j)
      o = o || (x.live[j] && !recs[j].list && !recs[j].ram && recs[j].s <= q && q < recs[j].s + recs[j].n);
    return o;
  }

  // ---- genpool (lib/genalloc.c best fit, newest chunk first), exact over the records -----
  struct GpOut {
    expr ok, start, chunk;
  };
  GpOut gp_alloc(const State& x, int pool, const expr& n, const std::vector<Slot>& ss, const std::vector<expr>& pages) {
    expr ok = B(false), start = I(0), chunk = I(-1);
    for (std::size_t j = 0; j < ss.size(); ++j) {  // oldest first; a later chunk overrides
      expr is_chunk = ss[j].pooled && ss[j].pool == I(pool);
      expr cs = pfn(ss[j].s), ce = cs + pages[j] - I(1);
      std::vector<std::size_t> mine;
      for (std::size_t r = 0; r < recs.size(); ++r) mine.push_back(r);
      auto in_j = [&](std::size_t r) { return x.held[r] && recs[r].chunk == I(static_cast<int>(j)); };
      expr used = I(0);
      for (std::size_t r : mine) used = used + z3::ite(in_j(r), recs[r].n, I(0));
      expr avail = pages[j] - used;
      std::vector<expr> cands{cs};
      for (std::size_t r : mine) cands.push_back(z3::ite(in_j(r), recs[r].s + recs[r].n, ce + I(1)));
      expr found = B(false), best_s = I(0), best_len = I(0);
      for (const expr& cnd : cands) {
        expr valid = cnd <= ce;
        expr next = ce + I(1);
        for (std::size_t r : mine) {
          valid = valid && !(in_j(r) && recs[r].s <= cnd && cnd < recs[r].s + recs[r].n);
          next = z3::ite(in_j(r) && recs[r].s >= cnd && recs[r].s < next, recs[r].s, next);
        }
        expr len = next - cnd;
        expr fits = valid && spec::run_fits(d, len, n);
        expr take = fits && (!found || spec::better_fit(d, len, cnd, best_len, best_s));
        best_s = z3::ite(take, cnd, best_s);
        best_len = z3::ite(take, len, best_len);
        found = found || fits;
      }
      expr chunk_ok = is_chunk && spec::chunk_may_serve(d, avail, n) && found;
      start = z3::ite(chunk_ok, best_s, start);
      chunk = z3::ite(chunk_ok, I(static_cast<int>(j)), chunk);
      ok = ok || chunk_ok;
    }
    return {ok, start, chunk};
  }
  expr gp_avail(const State& x, int pool) {
    expr tot = I(0);
    for (std::size_t j = 0; j < slots.size(); ++j)
      tot = tot + z3::ite(slots[j].pooled && slots[j].pool == I(pool), slot_pages[j], I(0));
    for (std::size_t r = 0; r < recs.size(); ++r)
      tot = tot - z3::ite(x.held[r] && !recs[r].list && !recs[r].ram && rec_pool(r) == I(pool), recs[r].n, I(0));
    return tot;
  }
  expr gp_size(int pool) {
    expr tot = I(0);
    for (std::size_t j = 0; j < slots.size(); ++j)
      tot = tot + z3::ite(slots[j].pooled && slots[j].pool == I(pool), slot_pages[j], I(0));
    return tot;
  }
  std::vector<expr> rec_pools;
  expr rec_pool(std::size_t r) { return rec_pools[r]; }

  // ---- one growth, recorded as a slot ----------------------------------------------------
  GrowOut grow(State& x, const expr& active, const expr& alloc_pages, const expr& f, int pool, bool slip,
               bool gp_add, const std::string& tag, std::map<std::string, expr>& v, const expr* win_s = nullptr,
               const expr* win_e = nullptr) {
    GrowParams gpar{&w, geo, mut, slip, gp_add, pool, win_s != nullptr};
    GrowOut g = encode_grow(d, gpar, active, alloc_pages, f, slots, tag, win_s, win_e);
    // Checker::growth() on success.
    const expr& gs = g.slot.s;
    const expr& ge = g.slot.e;
    expr okg = g.ok;
    for (const char* rule : {"growth-misaligned", "ram-overlap", "device-overlap", "outside-ext-region", "growth-overlap"})
      if (arm || std::string(rule) != "outside-ext-region")  // the iomem target has no regions
        v.at(rule) = v.at(rule) || growth_step_broken(d, w, rule, g, slots, arm, geo.section_size(), page);
    expr on_seed = B(false);  // x86: pages xen_extra_mem put in the pool at init
    for (const auto& r : seeds) on_seed = on_seed || spec::overlaps(d, pfn(gs), pfn(ge), U(r.start / page), U(r.end / page));
    v.at("growth-overlap") = v.at("growth-overlap") || (okg && on_seed);
    expr touched = spec::pages_touched(d, gs, ge, page);
    if (pool == 0) {
      x.pool0 = z3::ite(okg, x.pool0 + touched, x.pool0);
    } else {
      x.pool1 = z3::ite(okg, x.pool1 + touched, x.pool1);
    }
    slots.push_back(g.slot);
    slot_pages.push_back(alloc_pages);
    return g;
  }

  // ---- list allocator (upstream, x86, the RFC's plain path) ------------------------------
  // fill_list + pop, under list_lock. Returns the record fields.
  void list_alloc(State& x, const expr& active, const expr& n, const expr& f, Rec& r, std::map<std::string, expr>& v,
                  int t) {
    expr need = active && spec::list_needs_fill(d, x.lc, n);
    expr req = spec::list_fill_request(d, x.lc, n);
    expr ap = z3::ite(need, spec::fill_pages(d, req, pps), U(pps));
    GrowOut g = grow(x, need, ap, f, 0, false, false, fmt::format("g{}", t), v);
    // fill_list pushes the new pages ascending: p gets depth (last - p); the rest move down.
    expr okg = g.ok;
    expr gfirst = pfn(g.slot.s);
    expr in_new = okg && gfirst <= p && p < gfirst + ap;
    expr pl1 = x.pl || in_new;
    expr pd1 = z3::ite(in_new, gfirst + ap - I(1) - p, z3::ite(okg && x.pl, x.pd + ap, x.pd));
    expr lc1 = z3::ite(okg, x.lc + ap, x.lc);
    expr ll1 = z3::ite(okg, x.ll + ap, x.ll);
    expr vp1 = z3::ite(okg, x.vpool0 + ap, x.vpool0);
    // The checker's reference LIFO gets the growth's pages as the checker counts them.
    expr touched = spec::pages_touched(d, g.slot.s, g.slot.e, page);
    expr rin_new = okg && gfirst <= p && p < gfirst + touched;
    expr prl1 = x.prl || rin_new;
    expr prd1 = z3::ite(rin_new, gfirst + touched - I(1) - p, z3::ite(okg && x.prl, x.prd + touched, x.prd));
    expr fill_failed = need && !okg;
    expr go = active && !fill_failed && !g.oops;
    expr popcount = mut == Mutant::pop_extra ? n + I(1) : n;
    expr bug = go && ll1 < popcount;  // BUG_ON(!pg)
    expr done = go && !bug;
    // Pop.
    expr popped_act = B(false), idx_act = I(0);
    if (mut == Mutant::fifo_order) {
      popped_act = pl1 && pd1 >= ll1 - popcount;
      idx_act = ll1 - I(1) - pd1;
    } else {
      popped_act = pl1 && pd1 < popcount;
      idx_act = pd1;
    }
    popped_act = done && popped_act;
    expr popped_ref = done && prl1 && prd1 < popcount;
    // Checker: order (LIFO reference), pool membership, double-alloc.
    v.at("order-mismatch") = v.at("order-mismatch") ||
                          (done && x.lifo_ok && ((popped_act != popped_ref) || (popped_act && idx_act != prd1)));
    v.at("not-in-pool") = v.at("not-in-pool") || (popped_act && !in_pool(p));
    v.at("double-alloc") = v.at("double-alloc") || (popped_act && (x.plive || in_live_range(x, p)));
    v.at("count-mismatch") = v.at("count-mismatch") || (done && popcount != n);
    v.at("kernel-bug") = v.at("kernel-bug") || bug || g.oops;
    x.lifo_ok = x.lifo_ok && !(done && ((popped_act != popped_ref) || (popped_act && idx_act != prd1)));
    // New state.
    x.pl = z3::ite(done, pl1 && !popped_act, pl1);
    // LIFO: the pages left move up by popcount; FIFO pops from the bottom, depths stay.
    x.pd = z3::ite(done && !popped_act, mut == Mutant::fifo_order ? pd1 : pd1 - popcount, pd1);
    x.prl = z3::ite(done, prl1 && !popped_ref, prl1);
    x.prd = z3::ite(done && !popped_ref, prd1 - popcount, prd1);
    expr was_live = x.plive;
    x.plive = x.plive || popped_act;
    x.powner = z3::ite(popped_act, I(static_cast<int>(recs.size())), x.powner);
    x.pidx = z3::ite(popped_act, idx_act, x.pidx);
    x.lc = z3::ite(done, z3::ite(lc1 >= popcount, lc1 - popcount, I(0)), lc1);
    x.ll = z3::ite(done, ll1 - popcount, ll1);
    x.vpool0 = vp1;
    // live_in_pool: pages handed out that were not live (all of them unless double-alloc).
    x.live0 = z3::ite(done, x.live0 + popcount, x.live0);
    (void)was_live;
    x.oops = x.oops || bug || g.oops;
    r.ok = done;
    r.list = B(true);
    r.popped = popcount;
    r.fired = g.fired;
    // spurious-enomem: a failed fill without an injected fault while space remains.
    expr failed = active && fill_failed && !g.oops;
    v.at("spurious-enomem") = v.at("spurious-enomem") || (failed && !g.fired && could_serve(x, n, false));
  }

  void list_push_record(State& x, const expr& active, std::size_t j, int t) {
    (void)t;
    // xen_free_unpopulated_pages(): push pages[0..k-1] in order.
    expr k = recs[j].popped;
    expr mine = active && x.plive && x.powner == I(static_cast<int>(j));
    expr newd = k - I(1) - x.pidx;
    x.pd = z3::ite(mine, newd, z3::ite(active && x.pl, x.pd + k, x.pd));
    x.pl = x.pl || mine;
    x.prd = z3::ite(mine, newd, z3::ite(active && x.prl, x.prd + k, x.prd));
    x.prl = x.prl || mine;
    x.plive = x.plive && !mine;
    x.ll = z3::ite(active, x.ll + k, x.ll);
    if (mut != Mutant::list_count_stale) x.lc = z3::ite(active, x.lc + k, x.lc);
    x.live0 = z3::ite(active, x.live0 - k, x.live0);
  }

  // ---- genpool allocation with one fill and a retry (RFC DMA: unlocked; V1: under the lock)
  void gp_alloc_op(State& x, const expr& active, const expr& n, const expr& f, int pool, bool slip, Rec& r,
                   std::map<std::string, expr>& v, int t, bool dma_path, expr* failed_out) {
    GpOut a1 = gp_alloc(x, pool, n, slots, slot_pages);
    expr need = active && !a1.ok;
    GrowOut g = grow(x, need, spec::fill_pages(d, n, pps), f, pool, slip, true, fmt::format("g{}", t), v);
    expr go = need && g.ok;
    GpOut a2 = gp_alloc(x, pool, n, slots, slot_pages);
    expr ok = (active && a1.ok) || (go && a2.ok);
    r.ok = ok;
    r.s = z3::ite(active && a1.ok, a1.start, a2.start);
    r.chunk = z3::ite(active && a1.ok, a1.chunk, a2.chunk);
    r.rev = B(mut == Mutant::dma_reverse) && r.n > I(1);
    r.fired = g.fired;
    x.oops = x.oops || g.oops;
    v.at("kernel-bug") = v.at("kernel-bug") || g.oops;
    // Checker on the pages handed out.
    expr dbl = B(false);
    for (std::size_t k = 0; k < recs.size(); ++k)
      dbl = dbl || (x.live[k] && !recs[k].list && !recs[k].ram && spec::overlaps(d, r.s, r.s + n - I(1), recs[k].s, recs[k].s + recs[k].n - I(1)));
    dbl = dbl || (x.plive && r.s <= p && p < r.s + n);
    v.at("double-alloc") = v.at("double-alloc") || (ok && dbl);
    if (dma_path) v.at("not-contiguous") = v.at("not-contiguous") || (ok && r.rev);
    if (pool == 0)
      x.live0 = z3::ite(ok, x.live0 + n, x.live0);
    else
      x.live1 = z3::ite(ok, x.live1 + n, x.live1);
    *failed_out = active && !ok && !g.oops;
  }

  // ---- proposed: free runs, DMA window search, one-section plain growth ------------------
  void init_proposed(bool use_iomem) {
    Kernel k(cfg.base.layout, geo, mut, nullptr);
    if ((use_iomem ? k.iomem_init() : k.arm_init()) != 0) return;
    for (const Range& r : k.growable_space())
      grow_blocks.push_back({U(r.start / page), U((r.end - r.start + 1) / page), B(true)});
    // Every growth is whole sections; the largest request needs this many, one at a time.
    growths_per_op = static_cast<std::size_t>((cfg.max_nr + pps - 1) / pps);
    // A plain allocation of a few operations' history takes few runs; a run that would need more
    // sets bound_hit, which every query counts as a violation: never a silent proof.
    runs_per_alloc = static_cast<std::size_t>(std::max(1, depth)) + 1;
  }
  // free_ = pool (growths as proposed adds them, seeds) minus the live records' runs.
  std::vector<PageRun> pool_runs() {
    std::vector<PageRun> out;
    for (std::size_t j = 0; j < slots.size(); ++j) out.push_back({slot_first[j], slot_pages[j], slots[j].pooled});
    for (const auto& r : seeds) out.push_back({U(r.start / page), U(r.end / page - r.start / page + 1), B(true)});
    return out;
  }
  std::vector<PageRun> live_runs(const State& x) {
    std::vector<PageRun> out;
    for (std::size_t j = 0; j < rec_runs.size(); ++j)
      for (const auto& r : rec_runs[j]) out.push_back({r.s, r.n, r.on && x.live[j]});
    return out;
  }
  // What is in the target tree (and its iomem mirror): growable space excludes it.
  std::vector<PageRun> tree_runs() {
    std::vector<PageRun> out;
    for (std::size_t j = 0; j < slots.size(); ++j)
      out.push_back({slot_first[j], slot_pages[j], slots[j].intree || slots[j].mirrored});
    return out;
  }
  static void edges(const std::vector<PageRun>& runs, std::vector<expr>& starts, std::vector<expr>& ends) {
    for (const auto& r : runs) {
      starts.push_back(r.s);
      ends.push_back(r.s + r.n);
    }
  }
  struct Runs {
    std::vector<PageRun> free, growable, combined;
  };
  Runs proposed_runs(const State& x) {
    std::vector<PageRun> pool = pool_runs(), live = live_runs(x), tree = tree_runs();
    Member is_free = [&, pool, live](const expr& q) { return in_runs(c, pool, q) && !in_runs(c, live, q); };
    Member is_grow = [&, tree](const expr& q) { return in_runs(c, grow_blocks, q) && !in_runs(c, tree, q); };
    std::vector<expr> fs, fb, gs, gb;
    edges(pool, fs, fb);
    edges(live, fb, fs);  // a live run's end may start a free run, its start ends one
    edges(grow_blocks, gs, gb);
    edges(tree, gb, gs);
    Runs out;
    out.free = maximal_runs(d, is_free, fs, fb);
    out.growable = maximal_runs(d, is_grow, gs, gb, pps);
    std::vector<expr> cs = fs, cb = fb;
    cs.insert(cs.end(), gs.begin(), gs.end());
    cb.insert(cb.end(), gb.begin(), gb.end());
    out.combined = maximal_runs(d, [&](const expr& q) { return is_free(q) || is_grow(q); }, cs, cb);
    return out;
  }
  std::vector<PageRun> free_runs_now(const State& x) {
    std::vector<PageRun> pool = pool_runs(), live = live_runs(x);
    std::vector<expr> fs, fb;
    edges(pool, fs, fb);
    edges(live, fb, fs);
    return maximal_runs(d, [&](const expr& q) { return in_runs(c, pool, q) && !in_runs(c, live, q); }, fs, fb);
  }
  // One growth of proposed's grow(): whole sections [first, first + pages) as spec.window.
  GrowOut proposed_grow(State& x, const expr& active, const expr& first, const expr& pages, const expr& f,
                        const std::string& tag, std::map<std::string, expr>& v) {
    expr ws = first * U(page), we = (first + pages) * U(page) - I(1);
    GrowOut g = grow(x, active, pages, f, 0, false, false, tag, v, &ws, &we);
    // A window of exactly the growth's size: allocate_resource can only place it at the
    // window's start, which is what free_ gets (pfn of r.start).
    slot_first.push_back(first);
    x.vpool0 = d.name(z3::ite(g.ok, x.vpool0 + pages, x.vpool0), "vpool");
    x.pool0 = d.name(x.pool0, "pool");
    return g;
  }
  // The checker on pages handed out: in the pool, not live already.
  void check_taken(const State& x, const std::vector<PageRun>& taken, const expr& done, const expr& n,
                   std::map<std::string, expr>& v) {
    expr dbl = B(false);
    for (const auto& a : taken)
      for (const auto& b : live_runs(x)) dbl = dbl || (a.on && b.on && a.s < b.s + b.n && b.s < a.s + a.n);
    v.at("double-alloc") = v.at("double-alloc") || (done && dbl);
    v.at("not-in-pool") = v.at("not-in-pool") || (done && in_runs(c, taken, p) && !in_pool(p));
    v.at("count-mismatch") = v.at("count-mismatch") || (done && total_pages(c, taken) != n);
  }
  // One operation of proposed (alloc or dma_alloc; both under its lock). Plain: grow one
  // section at a time at the lowest growable section while free pages are short, then
  // take_scattered. DMA: best fit in the free runs, else the cheapest window of free pages and
  // growable sections, its growths made in ascending order. The two paths share the growth
  // slots of the step (only one of them runs). Returns the pages handed out.
  std::vector<PageRun> proposed_step(State& x, const expr& is_alloc, const expr& is_dalloc, const expr& n,
                                     const expr& f, const expr& fat, Rec& r, std::map<std::string, expr>& v, int t) {
    Runs pre = proposed_runs(x);
    // DMA's plan, from the state before the operation.
    Pick bf = best_fit(d, pre.free, n);
    expr d_need = d.name(is_dalloc && !bf.found, "d_need");
    Pick win = cheapest_window(d, pre.combined, pre.free, pre.growable, n);
    expr d_ovf = B(false);
    std::vector<PageRun> pieces = window_growths(d, pre.growable, win.start, n, pps, growths_per_op, &d_ovf);
    expr d_go = d_need && win.found;
    // Plain's loop state.
    expr fcount = d.name(total_pages(c, pre.free), "fcount"), from = I(0), a_go = is_alloc, a_failed = B(false);
    expr fired = B(false);
    for (std::size_t k = 0; k < growths_per_op; ++k) {
      expr need = d.name(a_go && fcount < n, "a_need");
      // Lowest growable page at or above `from` (the sections below are grown or gone).
      expr found = B(false), q = I(0);
      for (const auto& g : pre.growable) {
        expr here = g.on && g.s + g.n > from;
        expr at = z3::ite(g.s > from, g.s, from);
        q = z3::ite(here && (!found || at < q), at, q);
        found = found || here;
      }
      found = d.name(found, "a_found");
      q = d.name_multiple(q, pps, "a_sec");
      expr d_act = d_go && pieces[k].on;
      expr active = (need && found) || d_act;
      expr first = d.name_multiple(z3::ite(is_alloc, q, pieces[k].s), pps, "first");
      expr pages = d.name_multiple(z3::ite(is_alloc, U(pps), pieces[k].n), pps, "pages");
      GrowOut g = proposed_grow(x, active, first, pages, z3::ite(fat == I(static_cast<int>(k)), f, I(f_none)),
                                fmt::format("g{}_{}", t, k), v);
      fired = fired || g.fired;
      expr a_stop = need && (!found || !g.ok);
      a_failed = d.name(a_failed || a_stop, "a_failed");
      a_go = d.name(a_go && !a_stop, "a_go");
      fcount = d.name(z3::ite(need && g.ok, fcount + U(pps), fcount), "fcount");
      from = q + U(pps);
      d_go = d.name(d_go && !(d_act && !g.ok), "d_go");
    }
    expr a_done = is_alloc && !a_failed;
    expr d_failed = d_need && !d_go;
    expr d_done = is_dalloc && !d_failed;
    // Pages handed out.
    expr a_ovf = B(false);
    std::vector<PageRun> taken = scattered_take(d, free_runs_now(x), n, runs_per_alloc, &a_ovf);
    PageRun dma{d.name(z3::ite(bf.found, bf.start, win.start), "d_start"), n, d_done};
    for (std::size_t i = 0; i < taken.size(); ++i) {
      taken[i].on = taken[i].on && a_done;
      if (i == 0) taken[i] = {z3::ite(is_alloc, taken[i].s, dma.s), z3::ite(is_alloc, taken[i].n, n), taken[i].on || d_done};
    }
    bound_hit.back() = bound_hit.back() || (a_done && a_ovf) || (d_go && d_ovf);
    expr done = a_done || d_done;
    check_taken(x, taken, done, n, v);
    v.at("not-contiguous") = v.at("not-contiguous") || (d_done && B(mut == Mutant::dma_reverse) && n > I(1));
    r.ok = done;
    r.s = dma.s;
    r.fired = fired;
    v.at("spurious-enomem") = v.at("spurious-enomem") || (is_alloc && a_failed && !fired && could_serve(x, n, false)) ||
                              (d_failed && !fired && could_serve(x, n, true));
    return taken;
  }

  // ---- the checker's view of the tracked page p, for the caller rules --------------------
  // Is p one of the pages record r handed out? (List records: p popped by it.)
  expr record_has_p(const State& after, const Rec& r, const std::vector<PageRun>& runs) {
    const expr idx = I(static_cast<int>(recs.size() - 1));
    if (!runs.empty()) return in_runs(c, runs, p);
    expr range = r.made && r.ok && !r.list && !r.ram && r.s <= p && p < r.s + r.n;
    return range || (r.made && r.ok && r.list && after.plive && after.powner == idx);
  }
  // p is live in the checker (handed out, not given back), and by which path.
  expr p_live(const State& x, bool dma) {
    expr o = B(false);
    for (std::size_t j = 0; j < recs.size(); ++j)
      o = o || (x.live[j] && !recs[j].ram && (dma ? recs[j].dma : !recs[j].dma) && rec_pin[j]);
    return o;
  }
  // Does the checker see this free at all? genpool BUG()s (an oops: no free event) on a page
  // outside every chunk or not allocated; RFC DMA frees and every V1 free go through it.
  // Two views, chosen by gp_over: a range inside one allocation genpool still holds is
  // surely accepted (under-approximation: a refutation found with it is real); a free is
  // possibly accepted unless the tracked page p is in the range and genpool does not hold it
  // (over-approximation, as p is any page: no misuse found with it is a proof). The views
  // differ only on a range over several allocations or across two adjacent chunks.
  expr genpool_accepts(const State& x, const expr& first, const expr& n) {
    expr o = B(false);
    for (std::size_t k = 0; k < recs.size(); ++k)
      o = o || (x.held[k] && recs[k].s <= first && first + n <= recs[k].s + recs[k].n);
    return o;
  }
  expr genpool_holds_p(const State& x) {
    expr o = B(false);
    for (std::size_t k = 0; k < recs.size(); ++k) o = o || (x.held[k] && recs[k].s <= p && p < recs[k].s + recs[k].n);
    return o;
  }
  bool genpool_frees(bool dma) const {
    return (gp_dma && dma && mut != Mutant::dma_free_to_list) || gp_plain;
  }
  // Checker::check_pages_freed and drained() on the misusing step, before the allocator acts;
  // and, where genpool takes the free, its BUG() there (`misuse_bug`, the kernel-bug rule of
  // the misuse queries).
  void caller_rules(const State& x, std::map<std::string, expr>& v, const expr& R, const expr& M, const expr& MN,
                    const expr& is_free, const expr& is_dfree, const expr& is_drain, expr& misuse_bug) {
    expr live_p = p_live(x, false) || p_live(x, true);
    expr held_p = genpool_holds_p(x);
    for (std::size_t j = 0; j < recs.size(); ++j) {
      expr me = R == I(static_cast<int>(j));
      const expr& sj = recs[j].s;
      for (bool dma : {false, true}) {
        expr step = (dma ? is_dfree : is_free) && me;
        expr n = z3::ite(M == I(3), MN, recs[j].n);
        expr seen = B(true);
        if (genpool_frees(dma)) {
          // A page_list record (RFC plain pages freed as DMA) starts in no DMA chunk: BUG().
          expr in_free = !recs[j].list && sj <= p && p < sj + n;
          expr bug = recs[j].list || (in_free && !held_p);
          misuse_bug = misuse_bug || (step && M != I(0) && bug);
          seen = !recs[j].list && (genpool_accepts(x, sj, n) || (gp_over && !bug));
        }
        if (cma_dma && dma) {
          // dma_free_coherent: the checker's RAM branch; pool pages were never taken as RAM.
          v.at("unknown-free") = v.at("unknown-free") || (step && M == I(2));
          continue;
        }
        // A page once handed out and not live now was given back: double-free.
        v.at("double-free") = v.at("double-free") || (step && seen && M == I(1) && rec_pin[j] && !live_p);
        // A live page of the other path.
        v.at("mixed-free") = v.at("mixed-free") || (step && seen && M == I(2) && rec_pin[j] && p_live(x, !dma));
        if (!dma) continue;
        // dma_free_pfn s_j MN: no live DMA allocation starts at s_j with MN pages.
        expr df = step && seen && M == I(3);
        expr exact = B(false);
        for (std::size_t k = 0; k < recs.size(); ++k)
          exact = exact || (x.live[k] && recs[k].dma && !recs[k].list && !recs[k].ram && recs[k].s == sj &&
                            recs[k].n == MN && !recs[k].rev);
        v.at("dma-free-mismatch") = v.at("dma-free-mismatch") || (df && !exact);
        // Pages past the allocation never handed out, with nothing given back yet (so none of
        // them counts as a double free instead).
        expr beyond = sj + recs[j].n <= p && p < sj + MN;
        v.at("unknown-free") = v.at("unknown-free") || (df && beyond && !any_free && !ever_handed_p());
      }
    }
    expr held = B(false);
    for (std::size_t j = 0; j < recs.size(); ++j) held = held || x.live[j];
    v.at("leak") = v.at("leak") || (is_drain && held);
  }
  // p was handed out by some allocation so far.
  expr ever_handed_p() {
    expr o = B(false);
    for (std::size_t j = 0; j < recs.size(); ++j) o = o || rec_pin[j];
    return o;
  }

  // Count reports after an op (Checker::counts).
  void counts(const State& x, const expr& active, std::map<std::string, expr>& v) {
    expr bad = B(false);
    if (list_plain) {
      expr expect = x.pool0 - x.live0;
      bad = bad || x.lc != expect || x.ll != expect || x.vpool0 != x.pool0;
    }
    if (gp_dma) {
      expr expect = x.pool1 - x.live1;
      expr avail = gp_avail(x, 1);
      bad = bad || avail != expect || gp_size(1) != x.pool1;
    }
    if (gp_plain) {
      expr expect = x.pool0 - x.live0;
      bad = bad || gp_avail(x, 0) != expect || gp_size(0) != x.pool0;
    }
    if (proposed) {
      // report_counts: cardinality(free_) and pool_pages_. free_ is the pool minus the live
      // runs, so its size is their difference while the pool's growths are disjoint, live
      // runs disjoint and inside the pool: growth-overlap, double-alloc and not-in-pool, each
      // queried (and proved) at the same bound. Counting the maximal free runs instead is
      // exact without that argument but takes Z3 several times longer.
      expr free_pages = total_pages(c, pool_runs()) - total_pages(c, live_runs(x));
      bad = bad || free_pages != x.pool0 - x.live0 || x.vpool0 != x.pool0;
    }
    v.at("count-mismatch") = v.at("count-mismatch") || (active && !x.oops && bad);
  }

  // Inductive mode (list allocators): an arbitrary state satisfying Inv instead of the boot
  // state -- two earlier growths with the growth invariant, counters consistent, the tracked
  // page free on the list, live in one earlier allocation, or neither -- and one pre-existing
  // live plain allocation a free can give back.
  State symbolic_initial() {
    auto iv = [&](const std::string& n) { return c.int_const(("pre_" + n).c_str()); };
    auto bv = [&](const std::string& n) { return c.bool_const(("pre_" + n).c_str()); };
    State x{{}, {}, iv("lc"), iv("ll"), iv("vpool0"), iv("pool0"), I(0), iv("live0"), I(0), iv("ram_taken"),
            bv("pl"), iv("pd"), bv("pl"), iv("pd"), bv("plive"), I(0), iv("pidx"), B(true), B(false),
            {I(0), I(0)}, {I(0), I(0)}};
    const std::uint64_t sec = geo.section_size();
    expr pooled_pages = I(0);
    for (const Slot& sl : assume_inv_growths(d, s, w, arm, sec, [&](int) { return I(0); }, "pre_")) {
      pooled_pages = pooled_pages + z3::ite(sl.pooled, spec::pages_touched(d, sl.s, sl.e, page), I(0));
      slots.push_back(sl);
      slot_pages.push_back(d.floor_div(sl.e - sl.s + I(1), page));
    }
    std::uint64_t seeded = 0;
    for (const auto& r : seeds) seeded += r.size() / page;
    // One live plain allocation of k pages taken earlier (record 0).
    expr k = iv("k");
    Rec pre{B(true), B(true), B(false), B(false), B(true), I(0), k, I(-1), k, B(false), B(false)};
    recs.push_back(pre);
    rec_runs.push_back({});
    rec_pin.push_back(x.plive);  // p live means live in this allocation
    rec_pools.push_back(I(0));
    x.live.push_back(B(true));
    x.held.push_back(B(false));
    s.add(x.pool0 == pooled_pages + U(seeded) && x.vpool0 == x.pool0);
    s.add(k >= I(1) && x.live0 >= k && x.lc == x.pool0 - x.live0 && x.ll == x.lc && x.ram_taken >= I(0));
    s.add(z3::implies(x.pl, x.pd >= I(0) && x.pd < x.ll && in_pool(p) && !x.plive));
    s.add(z3::implies(x.plive, in_pool(p) && x.pidx >= I(0) && x.pidx < k));
    return x;
  }

  // Inductive mode, genpool part of Inv (RFC DMA pool, V1): two earlier growths with the
  // growth invariant, each a chunk of its pool (RFC: list pool 0 or DMA pool 1), and two earlier
  // genpool allocations, each given back or held inside one chunk of its pool, the held ones
  // disjoint; the checker's counts are the chunks' pages and the held pages (RFC: the list's
  // counters consistent, the tracked page live on the list only inside a list growth).
  State symbolic_initial_genpool() {
    auto iv = [&](const std::string& n) { return c.int_const(("pre_" + n).c_str()); };
    auto bv = [&](const std::string& n) { return c.bool_const(("pre_" + n).c_str()); };
    State x{{}, {}, iv("lc"), iv("ll"), iv("vpool0"), iv("pool0"), iv("pool1"), iv("live0"), iv("live1"),
            iv("ram_taken"), B(false), I(0), B(false), I(0), gp_dma ? bv("plive") : B(false), I(-1), I(0), B(true),
            B(false), {I(0), I(0)}, {I(0), I(0)}};
    const std::uint64_t sec = geo.section_size();
    const int dma_pool = gp_dma ? 1 : 0;
    expr pages[2] = {I(0), I(0)};
    auto chunk_pool = [&](int j) { return gp_dma ? c.int_const(fmt::format("pre_chunkpool{}", j).c_str()) : I(0); };
    for (const Slot& sl : assume_inv_growths(d, s, w, arm, sec, chunk_pool, "pre_")) {
      s.add(sl.pool >= I(0) && sl.pool <= I(dma_pool));
      for (int k = 0; k <= dma_pool; ++k)
        pages[k] = pages[k] + z3::ite(sl.pooled && sl.pool == I(k), spec::pages_touched(d, sl.s, sl.e, page), I(0));
      slots.push_back(sl);
      slot_pages.push_back(d.floor_div(sl.e - sl.s + I(1), page));
    }
    std::uint64_t seeded = 0;
    for (const auto& r : seeds) seeded += r.size() / page;
    expr held_pages[2] = {I(0), I(0)};
    for (int r = 0; r < 2; ++r) {
      auto i = [&](const char* n) { return c.int_const(fmt::format("pre_r{}{}", n, r).c_str()); };
      expr held = c.bool_const(fmt::format("pre_held{}", r).c_str());
      expr dma = gp_dma ? B(true) : c.bool_const(fmt::format("pre_dma{}", r).c_str());
      expr rs = i("s"), rn = i("n"), ch = i("chunk");
      Rec pre{B(true), B(true), dma, B(false), B(false), rs, rn, ch, rn, B(false), B(false)};
      expr inside = B(false);
      for (int j = 0; j < 2; ++j) {
        expr cs = pfn(slots[j].s);
        inside = inside || (ch == I(j) && slots[j].pooled && slots[j].pool == I(dma_pool) && cs <= rs &&
                            rs + rn <= cs + slot_pages[j]);
      }
      s.add(rn >= I(1) && z3::implies(held, inside));
      for (std::size_t o = 0; o < recs.size(); ++o)
        s.add(!(held && x.held[o] && spec::overlaps(d, rs, rs + rn - I(1), recs[o].s, recs[o].s + recs[o].n - I(1))));
      held_pages[dma_pool] = held_pages[dma_pool] + z3::ite(held, rn, I(0));
      recs.push_back(pre);
      rec_runs.push_back({});
      rec_pin.push_back(held && rs <= p && p < rs + rn);
      rec_pools.push_back(I(dma_pool));
      x.live.push_back(held);
      x.held.push_back(held);
    }
    s.add(x.pool1 == (gp_dma ? pages[1] : I(0)) && x.live1 == (gp_dma ? held_pages[1] : I(0)));
    if (gp_dma) {  // the list pool: counters consistent, p live on it only inside a list growth
      expr in_list_growth = B(false);
      for (std::size_t j = 0; j < slots.size(); ++j) in_list_growth = in_list_growth || (in_slot_pages(j, p) && slots[j].pool == I(0));
      s.add(x.pool0 == pages[0] + U(seeded) && x.vpool0 == x.pool0 && x.live0 >= I(0) && x.live0 <= x.pool0 &&
            x.lc == x.pool0 - x.live0 && x.ll == x.lc);
      s.add(z3::implies(x.plive, in_list_growth));
    } else {
      s.add(x.pool0 == pages[0] && x.live0 == held_pages[0]);
    }
    s.add(x.ram_taken >= I(0));
    return x;
  }

  State initial() {
    State x{{}, {}, I(0), I(0), I(0), I(0), I(0), I(0), I(0), I(0), B(false), I(0), B(false), I(0), B(false),
            I(-1), I(0), B(true), B(false), {I(0), I(0)}, {I(0), I(0)}};
    // x86: every xen_extra_mem page freed into the list at init, range after range.
    std::uint64_t total = 0;
    for (const auto& r : seeds) total += r.size() / page;
    std::uint64_t later = total;
    for (const auto& r : seeds) {
      std::uint64_t lo = r.start / page, hi = r.end / page;
      later -= hi - lo + 1;
      expr in = U(lo) <= p && p <= U(hi);
      x.pd = z3::ite(in, U(later + hi) - p, x.pd);
      x.pl = x.pl || in;
    }
    x.prl = x.pl;
    x.prd = x.pd;
    x.lc = x.ll = x.vpool0 = x.pool0 = U(total);
    return x;
  }

  void build() {
    State x = !cfg.inductive ? initial() : cfg.inductive_genpool ? symbolic_initial_genpool() : symbolic_initial();
    s.add(p >= I(0));
    for (int t = 0; t < depth; ++t) {
      st.push_back(x);
      std::map<std::string, expr> v;
      for (const auto& rule : bmc_rules()) v.emplace(rule, B(false));
      for (const auto& rule : misuse_rules()) v.emplace(rule, B(false));
      expr K = c.int_const(fmt::format("kind{}", t).c_str());
      expr N = c.int_const(fmt::format("nr{}", t).c_str());
      expr R = c.int_const(fmt::format("ref{}", t).c_str());
      expr F = c.int_const(fmt::format("fault{}", t).c_str());
      expr W = c.int_const(fmt::format("who{}", t).c_str());
      expr FA = c.int_const(fmt::format("fault_at{}", t).c_str());
      fault_at.push_back(FA);
      s.add(FA >= I(0) && FA < I(static_cast<int>(growths_per_op)));
      bound_hit.push_back(B(false));
      kind.push_back(K);
      nr.push_back(N);
      ref.push_back(R);
      fault.push_back(F);
      who.push_back(W);
      s.add(K >= I(0) && K < I(cfg.misuse ? k_drain + 1 : k_count));
      expr M = c.int_const(fmt::format("misuse{}", t).c_str());
      expr MN = c.int_const(fmt::format("misuse_nr{}", t).c_str());
      misuse_kind.push_back(M);
      misuse_nr.push_back(MN);
      s.add(M >= I(0) && M <= I(cfg.misuse ? 3 : 0) && MN >= I(1) && MN <= U(cfg.max_nr));
      s.add(N >= I(1) && N <= U(cfg.max_nr));
      s.add(F >= I(0) && F < I(f_count));
      if (!cfg.faults || two) s.add(F == I(f_none));
      // The race is on the RFC's unlocked DMA path: with two callers only DMA calls run (the
      // plain path is one atomic step under list_lock and cannot interleave inside itself).
      if (two) s.add(K == I(k_dma_alloc) || K == I(k_dma_free));
      s.add(W >= I(0) && W <= I(two ? 1 : 0));
      expr act = !x.oops && !ended;

      // Two callers (RFC): a caller in the middle of an unlocked DMA allocation continues it.
      expr cont = B(false), cont_pc = I(0), cont_n = I(0);
      if (two) {
        cont = z3::ite(W == I(0), x.pc[0], x.pc[1]) != I(0);
        cont_pc = z3::ite(W == I(0), x.pc[0], x.pc[1]);
        cont_n = z3::ite(W == I(0), x.cn[0], x.cn[1]);
      }
      expr startop = act && !cont;
      expr is_alloc = startop && K == I(k_alloc);
      expr is_free = startop && K == I(k_free);
      expr is_dalloc = startop && K == I(k_dma_alloc);
      expr is_dfree = startop && K == I(k_dma_free);
      step_kind.push_back(z3::ite(cont, I(k_dma_alloc), K));

      Rec r{B(false), B(false), B(false), B(false), B(false), I(0), N, I(-1), N, B(false), B(false)};
      expr rpool = I(0);

      // Frees name a live allocation of their own path (well-behaved callers); a misusing
      // caller names one already given back, or a live one through the other path, or a live
      // DMA range with the wrong size. RAM allocations are not misused (their free is RAM's).
      auto pick = [&](const expr& is_op, bool dma) {
        expr okref = B(false);
        for (std::size_t j = 0; j < recs.size(); ++j) {
          expr own = dma ? recs[j].dma : !recs[j].dma;
          expr done = recs[j].made && recs[j].ok && !recs[j].ram;
          expr range = !recs[j].list && !recs[j].ram && (proposed ? recs[j].dma : B(true));  // one range
          expr how = z3::ite(M == I(0), x.live[j] && own,
                     z3::ite(M == I(1), done && !x.live[j] && own,
                     z3::ite(M == I(2), done && x.live[j] && !own,
                             B(dma) && done && x.live[j] && own && range && MN != recs[j].n)));
          okref = okref || (R == I(static_cast<int>(j)) && how);
        }
        s.add(z3::implies(is_op, okref));
      };
      pick(is_free, false);
      pick(is_dfree, true);
      expr is_drain = startop && K == I(k_drain);
      expr misused = (is_free || is_dfree) && M != I(0);
      expr terminal = misused || is_drain;
      expr misuse_bug = B(false);
      caller_rules(x, v, R, M, MN, is_free, is_dfree, is_drain, misuse_bug);
      auto sel = [&](std::size_t j, const expr& is_op) { return is_op && R == I(static_cast<int>(j)); };

      std::vector<expr> live1 = x.live, held1 = x.held;
      std::vector<PageRun> runs;  // proposed: the pages of this step's allocation
      if (proposed) {
        runs = proposed_step(x, is_alloc, is_dalloc, N, F, FA, r, v, t);
        for (std::size_t j = 0; j < recs.size(); ++j) {
          expr back = sel(j, is_free) || sel(j, is_dfree);  // freed whole, validated: live pages, right path
          x.live0 = z3::ite(back, x.live0 - recs[j].n, x.live0);
        }
        x.live0 = z3::ite(r.ok && (is_alloc || is_dalloc), x.live0 + N, x.live0);
      }
      // ---- alloc ----
      if (list_plain) {
        State y = x;
        Rec rr = r;
        list_alloc(y, is_alloc, N, F, rr, v, t);
        merge(x, y, is_alloc);
        r.ok = z3::ite(is_alloc, rr.ok, r.ok);
        r.list = z3::ite(is_alloc, B(true), r.list);
        r.popped = z3::ite(is_alloc, rr.popped, r.popped);
        r.fired = r.fired || (is_alloc && rr.fired);
      } else if (gp_plain) {
        State y = x;
        Rec rr = r;
        expr failed = B(false);
        gp_alloc_op(y, is_alloc, N, F, 0, false, rr, v, t, false, &failed);
        merge(x, y, is_alloc);
        r.ok = z3::ite(is_alloc, rr.ok, r.ok);
        r.s = z3::ite(is_alloc, rr.s, r.s);
        r.chunk = z3::ite(is_alloc, rr.chunk, r.chunk);
        r.fired = r.fired || (is_alloc && rr.fired);
        v.at("spurious-enomem") = v.at("spurious-enomem") || (failed && !rr.fired && could_serve(x, N, false));
      }
      // ---- dma_alloc ----
      if (cma_dma) {
        expr ok = is_dalloc && F != I(f_cma) && x.ram_taken + N <= U(ram_pages);
        expr fired = is_dalloc && F == I(f_cma);
        r.ok = z3::ite(is_dalloc, ok, r.ok);
        r.ram = z3::ite(is_dalloc, B(true), r.ram);
        r.fired = r.fired || fired;
        x.ram_taken = z3::ite(ok, x.ram_taken + N, x.ram_taken);
        v.at("ram-stolen") = v.at("ram-stolen") || (ok && could_serve(x, N, true));
      } else if (gp_dma && !two) {
        State y = x;
        Rec rr = r;
        expr failed = B(false);
        gp_alloc_op(y, is_dalloc, N, F, 1, true, rr, v, t, true, &failed);
        merge(x, y, is_dalloc);
        r.ok = z3::ite(is_dalloc, rr.ok, r.ok);
        r.s = z3::ite(is_dalloc, rr.s, r.s);
        r.chunk = z3::ite(is_dalloc, rr.chunk, r.chunk);
        r.rev = z3::ite(is_dalloc, rr.rev, r.rev);
        r.fired = r.fired || (is_dalloc && rr.fired);
        rpool = z3::ite(is_dalloc, I(1), rpool);
        v.at("spurious-enomem") = v.at("spurious-enomem") || (failed && !rr.fired && could_serve(x, N, true));
      } else if (gp_dma && two) {
        rfc_two_callers(x, r, rpool, v, t, is_dalloc, cont, cont_pc, cont_n, W, N);
      } else if (gp_plain) {
        State y = x;
        Rec rr = r;
        expr failed = B(false);
        gp_alloc_op(y, is_dalloc, N, F, 0, false, rr, v, t, true, &failed);
        merge(x, y, is_dalloc);
        // V1 falls back to dma_alloc_coherent() when the contiguous allocation fails.
        expr fb = failed;
        expr fb_ok = fb && x.ram_taken + N <= U(ram_pages);
        r.ok = z3::ite(is_dalloc, rr.ok || fb_ok, r.ok);
        r.s = z3::ite(is_dalloc, rr.s, r.s);
        r.chunk = z3::ite(is_dalloc, rr.chunk, r.chunk);
        r.rev = z3::ite(is_dalloc, rr.rev, r.rev);
        r.ram = z3::ite(is_dalloc, fb, r.ram);
        r.fired = r.fired || (is_dalloc && rr.fired);
        x.ram_taken = z3::ite(fb_ok, x.ram_taken + N, x.ram_taken);
        // An injected fault makes the fallback the designed answer (Checker::allocated).
        v.at("ram-stolen") = v.at("ram-stolen") || (fb_ok && !rr.fired && could_serve(x, N, true));
      }
      // ---- free / dma_free of record j ----
      for (std::size_t j = 0; j < recs.size(); ++j) {
        expr fj = sel(j, is_free);
        expr dj = sel(j, is_dfree);
        live1[j] = live1[j] && !fj && !dj;
        if (list_plain) {
          list_push_record(x, fj, j, t);
        } else if (gp_plain) {
          held1[j] = held1[j] && !fj;
          x.live0 = z3::ite(fj && !recs[j].ram, x.live0 - recs[j].n, x.live0);
        }
        if (cma_dma) {
          x.ram_taken = z3::ite(dj, x.ram_taken - recs[j].n, x.ram_taken);
        } else if (gp_dma) {
          if (mut == Mutant::dma_free_to_list) {
            // DMA pages pushed to page_list: genpool keeps them allocated.
            expr in = dj && recs[j].s <= p && p < recs[j].s + recs[j].n;
            expr k = recs[j].n;
            x.pd = z3::ite(in, k - I(1) - (p - recs[j].s), z3::ite(dj && x.pl, x.pd + k, x.pd));
            x.pl = x.pl || in;
            x.ll = z3::ite(dj, x.ll + k, x.ll);
            x.lc = z3::ite(dj, x.lc + k, x.lc);
          } else {
            held1[j] = held1[j] && !dj;
          }
          x.live1 = z3::ite(dj, x.live1 - recs[j].n, x.live1);
        } else if (gp_plain) {
          expr from_pool = !recs[j].ram;
          held1[j] = held1[j] && !(dj && from_pool);
          x.live0 = z3::ite(dj && from_pool, x.live0 - recs[j].n, x.live0);
          x.ram_taken = z3::ite(dj && recs[j].ram, x.ram_taken - recs[j].n, x.ram_taken);
        }
      }
      x.live = live1;
      x.held = held1;
      // ---- the record of an allocation completing at this step ----
      if (two) {
        r.made = is_alloc || r.made;  // rfc_two_callers set made/dma for DMA completions
      } else {
        r.made = is_alloc || is_dalloc;
        r.dma = is_dalloc;
      }
      // A fault is only chosen where it fires (so every `fail` op of a counterexample matters).
      s.add(z3::implies(F != I(f_none), r.fired));
      rec_pools.push_back(rpool);
      recs.push_back(r);
      rec_runs.push_back(runs);
      x.live.push_back(r.made && r.ok);
      x.held.push_back(r.made && r.ok && !r.ram && !r.list);
      rec_pin.push_back(record_has_p(x, r, runs));
      counts(x, act, v);
      // After a misuse the allocator's state is not encoded: only the caller rules count there.
      for (auto& [rule, e] : v) {
        bool caller = std::find(misuse_rules().begin(), misuse_rules().end(), rule) != misuse_rules().end();
        if (cfg.misuse && rule == "kernel-bug") {
          // Misuse queries ask for genpool's BUG() on the bad free itself.
          viol[rule].push_back(act && terminal && misuse_bug);
          continue;
        }
        viol[rule].push_back(act && (caller ? terminal && e : !terminal && (e || bound_hit.back())));
      }
      ended = ended || terminal;
      any_free = any_free || is_free || is_dfree;
    }
    for (const auto& def : d.defs()) s.add(def);
  }

  void merge(State& x, const State& y, const expr& cond) {
    auto m = [&](expr& a, const expr& b) { a = z3::ite(cond, b, a); };
    for (std::size_t i = 0; i < x.live.size(); ++i) {
      m(x.live[i], y.live[i]);
      m(x.held[i], y.held[i]);
    }
    m(x.lc, y.lc); m(x.ll, y.ll); m(x.vpool0, y.vpool0); m(x.pool0, y.pool0); m(x.pool1, y.pool1);
    m(x.live0, y.live0); m(x.live1, y.live1); m(x.ram_taken, y.ram_taken);
    m(x.pl, y.pl); m(x.pd, y.pd); m(x.prl, y.prl); m(x.prd, y.prd); m(x.plive, y.plive);
    m(x.powner, y.powner); m(x.pidx, y.pidx); m(x.lifo_ok, y.lifo_ok); m(x.oops, y.oops);
    for (int i = 0; i < 2; ++i) {
      m(x.pc[i], y.pc[i]);
      m(x.cn[i], y.cn[i]);
    }
  }

  // RFC xen_alloc_unpopulated_dma_pages() without a lock: gen_pool_alloc, fill_dma_pool and
  // the retry are separate steps; `who` takes the next step.
  void rfc_two_callers(State& x, Rec& r, expr& rpool, std::map<std::string, expr>& v, int t, const expr& is_dalloc,
                       const expr& cont, const expr& cont_pc, const expr& cont_n, const expr& W, const expr& N) {
    expr act = !x.oops;
    expr phase1 = is_dalloc;
    expr phase2 = act && cont && cont_pc == I(1);
    expr phase3 = act && cont && cont_pc == I(2);
    expr n = z3::ite(cont, cont_n, N);
    // Phase 1 and 3: gen_pool_alloc.
    GpOut a = gp_alloc(x, 1, n, slots, slot_pages);
    // Phase 2: fill_dma_pool.
    GrowOut g = grow(x, phase2, spec::fill_pages(d, n, pps), I(f_none), 1, true, true, fmt::format("g{}", t), v);
    expr ok13 = (phase1 || phase3) && a.ok;
    expr done_fail = (phase2 && !g.ok) || (phase3 && !a.ok);
    expr completes = ok13 || done_fail;
    r.made = completes;
    r.dma = completes;
    r.ok = ok13;
    r.s = a.start;
    r.n = n;
    r.chunk = a.chunk;
    r.rev = B(mut == Mutant::dma_reverse) && n > I(1);
    rpool = z3::ite(completes, I(1), rpool);
    expr dbl = B(false);
    for (std::size_t k = 0; k < recs.size(); ++k)
      dbl = dbl || (x.live[k] && !recs[k].list && !recs[k].ram && spec::overlaps(d, r.s, r.s + n - I(1), recs[k].s, recs[k].s + recs[k].n - I(1)));
    v.at("double-alloc") = v.at("double-alloc") || (ok13 && dbl);
    v.at("not-contiguous") = v.at("not-contiguous") || (ok13 && r.rev);
    x.live1 = z3::ite(ok13, x.live1 + n, x.live1);
    // Next phase of the caller.
    expr next_pc = z3::ite(phase1 && !a.ok, I(1), z3::ite(phase2 && g.ok, I(2), I(0)));
    for (int i = 0; i < 2; ++i) {
      expr me = W == I(i) && (phase1 || phase2 || phase3);
      x.pc[i] = z3::ite(me, next_pc, x.pc[i]);
      x.cn[i] = z3::ite(me && phase1, N, x.cn[i]);
    }
    // The failed retry: the checker's spurious-enomem (no fault is injected with two callers).
    v.at("spurious-enomem") = v.at("spurious-enomem") || (phase3 && !a.ok && could_serve(x, n, true));
    v.at("kernel-bug") = v.at("kernel-bug") || g.oops;
    x.oops = x.oops || g.oops;
    // Which ops start: in two-caller mode a step is "starting" only when the caller is idle.
    starts.push_back(act && !cont);
  }

  // ---- counterexample -> Case ------------------------------------------------------------
  Case extract(const z3::model& m, int last) {
    Case cs = cfg.base;
    cs.ops.clear();
    cs.schedule.clear();
    cs.origin = "prove";
    auto val = [&](const expr& e) -> std::int64_t {
      expr v = m.eval(e, true);
      std::int64_t out = 0;
      if (v.is_numeral_i64(out)) return out;
      return 0;
    };
    auto tru = [&](const expr& e) { return m.eval(e, true).is_true(); };
    std::map<int, int> rec_op;  // record (step) -> case op index
    int pending[2] = {-1, -1};  // two callers: the op index of a DMA allocation in progress
    for (int t = 0; t <= last; ++t) {
      int k = static_cast<int>(val(kind[t]));
      int f = static_cast<int>(val(fault[t]));
      int wh = static_cast<int>(val(who[t]));
      bool cont = two && val(wh == 0 ? st[t].pc[0] : st[t].pc[1]) != 0;
      if (cont) {
        cs.schedule.push_back(wh);
        if (tru(recs[t].made)) {
          rec_op[t] = pending[wh];
          pending[wh] = -1;
        }
        continue;
      }
      if (f != f_none) {
        Op fo = parse_op(fault_op(f, arm, static_cast<int>(val(fault_at[t]))));
        fo.caller = wh;
        cs.ops.push_back(fo);
        if (two) cs.schedule.push_back(wh);
      }
      Op op;
      op.caller = wh;
      switch (k) {
        case k_alloc: op.kind = Op::Kind::alloc; op.nr = static_cast<std::uint64_t>(val(nr[t])); break;
        case k_dma_alloc: op.kind = Op::Kind::dma_alloc; op.nr = static_cast<std::uint64_t>(val(nr[t])); break;
        case k_free:
        case k_dma_free: {
          op.kind = k == k_free ? Op::Kind::free : Op::Kind::dma_free;
          int j = static_cast<int>(val(ref[t]));
          op.ref = rec_op.count(j) ? rec_op[j] : -1;
          if (k == k_dma_free && val(misuse_kind[t]) == 3) {  // the wrong size: raw pages
            op.kind = Op::Kind::dma_free_pfn;
            op.ref = -1;
            op.pfn = static_cast<Pfn>(val(recs[static_cast<std::size_t>(j)].s));
            op.nr = static_cast<std::uint64_t>(val(misuse_nr[t]));
          }
          break;
        }
        case k_drain: op.kind = Op::Kind::drain; break;
      }
      int idx = static_cast<int>(cs.ops.size());
      cs.ops.push_back(op);
      if (two) cs.schedule.push_back(wh);
      if (tru(recs[t].made)) {
        rec_op[t] = idx;
      } else if (two && k == k_dma_alloc) {
        pending[wh] = idx;
      }
    }
    cs.extra = nlohmann::json{{"tracked_pfn", val(p)}, {"depth", last + 1}};
    return cs;
  }

  std::string describe(const z3::model& m, int last) {
    std::string out;
    auto val = [&](const expr& e) -> std::int64_t {
      std::int64_t o = 0;
      m.eval(e, true).is_numeral_i64(o);
      return o;
    };
    for (std::size_t j = 0; j < slots.size() && j <= static_cast<std::size_t>(last); ++j)
      if (m.eval(slots[j].pooled, true).is_true())
        out += fmt::format("growth {}; ", to_string(Range{static_cast<Addr>(val(slots[j].s)), static_cast<Addr>(val(slots[j].e))}));
    out += fmt::format("tracked pfn {:#x}", val(p));
    return out;
  }

  // ---- the query driver's parts ----------------------------------------------------------
  // Inductive mode: Inv and a step of this kind must be satisfiable together, or every "proof"
  // would be empty. A sat answer is kept for the later queries of the same kind.
  bool not_vacuous(int kind, QueryResult& q) {
    if (vacuity.count(kind)) return true;
    s.push();
    if (kind >= 0) s.add(step_kind[0] == I(kind));
    Answer a = check_now();
    s.pop();
    account(q, a);
    if (a.result == z3::sat) {
      vacuity.emplace(kind, a.result);
      return true;
    }
    if (a.result == z3::unsat) q.detail = "vacuous: no state satisfies Inv with this step";
    q.verdict = Verdict::unknown;
    q.expected_ok = false;
    return false;
  }

  // The shortest counterexample: the first step at which the rule can break, with its run as a
  // Case (not yet replayed).
  void shortest(QueryResult& q, const std::function<expr(int)>& at, const std::string& rule) {
    for (int t = 0; t < depth; ++t) {
      QueryResult step;
      Answer a = prove(s, at(t), Scope::push, cfg.limits, step, "", [&](const z3::model& mdl) {
        if (mdl.eval(bound_hit[static_cast<std::size_t>(t)], true).is_true()) {
          // The run needs more growths or runs than the encoding holds: no verdict.
          step.verdict = Verdict::unknown;
          step.detail = fmt::format("encoding bound reached at step {} (more than {} growths or {} runs per operation)",
                                    t + 1, growths_per_op, runs_per_alloc);
          return;
        }
        step.depth = t + 1;
        Case cs = extract(mdl, t);
        cs.rule = rule;
        step.detail = describe(mdl, t);
        step.cex = cs;
      }, how());
      q.seconds += step.seconds;
      q.rlimit = std::max(q.rlimit, step.rlimit);
      q.rlimit_total += step.rlimit_total;
      q.moved += step.moved;
      if (a.result == z3::unsat) continue;
      q.verdict = step.verdict;
      q.detail = step.detail;
      q.depth = step.depth;
      q.cex = step.cex;
      return;
    }
    // Every step unsat although the whole run was sat: no verdict to give.
    q.verdict = Verdict::unknown;
    q.detail = "the per-step checks found no step the whole-run check found";
  }

  // Whether the verdict is what the design says. Safety rules must be proved. Liveness rules
  // depend on the layout and the bound: on a preset they are informational; the design findings
  // are asserted on the small layout. The x86 variant's device-overlap depends on where the
  // layout puts its grant table (not an iomem resource): informational too. The RFC's slip
  // needs the Arm mirror. Caller rules and mutants: any answer but unknown (and a replay).
  bool as_designed(const QueryResult& q, const std::string& rule, int kind) {
    const auto& cr = misuse_rules();
    if (cfg.misuse || std::find(cr.begin(), cr.end(), rule) != cr.end())
      return q.verdict != Verdict::unknown && (!q.cex || q.replayed.value_or(true));
    if (mut != Mutant::none) return q.verdict != Verdict::unknown;
    const Expect e = design_expectation(variant, rule, kind, cfg.base.layout);
    const bool informational = find_rule(rule)->liveness() || e == Expect::either;
    return q.verdict != Verdict::unknown && (informational || (q.verdict == Verdict::proved) == (e == Expect::holds));
  }
};

Bmc::Bmc(const BmcConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Bmc::~Bmc() = default;

QueryResult Bmc::query(const std::string& rule, int kind) {
  Impl& m = *impl_;
  QueryResult q;
  q.group = m.two ? "bmc-2" : "bmc";
  q.variant = m.variant;
  q.mutant = to_string(m.mut);
  q.rule = rule;
  q.op = m.two ? "race" : op_kind_name(kind);
  auto at = [&](int t) {
    expr e = m.viol.at(rule)[static_cast<std::size_t>(t)];
    if (kind >= 0 && !m.two) e = e && m.step_kind[static_cast<std::size_t>(t)] == m.I(kind);
    return e;
  };
  if (m.cfg.inductive && !m.not_vacuous(kind, q)) return q;
  expr any = m.B(false);
  for (int t = 0; t < m.depth; ++t) any = any || at(t);
  const std::string proved_detail =
      fmt::format("no run of up to {} {} breaks it", m.depth, m.two ? "atomic steps of two callers" : "operations");
  z3::check_result r = z3::unsat;
  if (m.cfg.misuse) {
    // Misuse queries are refutation hunts, with genpool's acceptance under-approximated (gp_over
    // false) so that each is a run the model repeats: step by step right away (the shortest
    // counterexample search below repeats the first sat step only). The proof is asked with it
    // over-approximated, below.
    m.s.push();
    m.s.add(!m.gp_over);
    for (int t = 0; t < m.depth && r == z3::unsat; ++t)
      r = prove(m.s, at(t), Scope::push, m.cfg.limits, q, proved_detail, nullptr, m.how()).result;
  } else {
    r = prove(m.s, any, Scope::push, m.cfg.limits, q, proved_detail, nullptr, m.how()).result;
  }
  if (r == z3::unsat) q.depth = m.depth;
  if (r == z3::sat) m.shortest(q, at, rule);
  if (m.cfg.misuse) {
    m.s.pop();
    if (q.verdict == Verdict::proved && (m.gp_dma || m.gp_plain)) {
      // No refutation where genpool surely takes the free; a proof needs none where it may.
      const std::string surely = q.detail + " (a free genpool would BUG() on never reaches the checker)";
      prove(m.s, m.gp_over && any, Scope::push, m.cfg.limits, q, surely, [&](const z3::model&) {
        q.verdict = Verdict::unknown;
        q.detail = "no misuse found where genpool surely takes the free, but one where it may: not a proof";
      }, m.how());
    }
  }
  q.detail += moved_note(q);
  if (q.cex && m.cfg.replay) {
    std::string note;
    q.replayed = replay_shows(*q.cex, rule, &note);
    q.replay_note = note;
  }
  q.expected_ok = m.as_designed(q, rule, kind);
  return q;
}

std::optional<QueryResult> Bmc::first_refuted(const std::vector<std::string>& rules) {
  for (const auto& r : rules) {
    QueryResult q = query(r, -1);
    if (q.verdict == Verdict::refuted) return q;
  }
  return std::nullopt;
}

}  // namespace unpop::solver
