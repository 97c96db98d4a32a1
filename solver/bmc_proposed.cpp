// proposed: its pool as page runs (solver/page_runs.h), the plain path's growth one section at a
// time, the DMA path's best fit and cheapest window, the pages each hands out.
#include "solver/bmc_impl.h"

#include <fmt/format.h>

#include "model/linux/kernel.h"

namespace unpop::solver {

using z3::expr;

namespace {

// Where runs start and end: the candidate starts and bounds of maximal_runs.
void edges(const std::vector<PageRun>& runs, std::vector<expr>& starts, std::vector<expr>& ends) {
  for (const auto& r : runs) {
    starts.push_back(r.s);
    ends.push_back(r.s + r.n);
  }
}

}  // namespace

void Bmc::Impl::init_proposed(bool use_iomem) {
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
std::vector<PageRun> Bmc::Impl::pool_runs() {
  std::vector<PageRun> out;
  for (std::size_t j = 0; j < slots.size(); ++j) out.push_back({slot_first[j], slot_pages[j], slots[j].pooled});
  for (const auto& r : seeds) out.push_back({U(r.start / page), U(r.end / page - r.start / page + 1), B(true)});
  return out;
}

std::vector<PageRun> Bmc::Impl::live_runs(const State& x) {
  std::vector<PageRun> out;
  for (std::size_t j = 0; j < rec_runs.size(); ++j)
    for (const auto& r : rec_runs[j]) out.push_back({r.s, r.n, r.on && x.live[j]});
  return out;
}

// What is in the target tree (and its iomem mirror): growable space excludes it.
std::vector<PageRun> Bmc::Impl::tree_runs() {
  std::vector<PageRun> out;
  for (std::size_t j = 0; j < slots.size(); ++j)
    out.push_back({slot_first[j], slot_pages[j], slots[j].intree || slots[j].mirrored});
  return out;
}

Bmc::Impl::Runs Bmc::Impl::proposed_runs(const State& x) {
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

std::vector<PageRun> Bmc::Impl::free_runs_now(const State& x) {
  std::vector<PageRun> pool = pool_runs(), live = live_runs(x);
  std::vector<expr> fs, fb;
  edges(pool, fs, fb);
  edges(live, fb, fs);
  return maximal_runs(d, [&](const expr& q) { return in_runs(c, pool, q) && !in_runs(c, live, q); }, fs, fb);
}

// One growth of proposed's grow(): whole sections [first, first + pages) as spec.window.
GrowOut Bmc::Impl::proposed_grow(State& x, const expr& active, const expr& first, const expr& pages, const expr& f,
                      const std::string& tag, Violations& v) {
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
void Bmc::Impl::check_taken(const State& x, const std::vector<PageRun>& taken, const expr& done, const expr& n,
                 Violations& v) {
  expr dbl = B(false);
  for (const auto& a : taken)
    for (const auto& b : live_runs(x)) dbl = dbl || (a.on && b.on && a.s < b.s + b.n && b.s < a.s + a.n);
  v.at("double-alloc") = v.at("double-alloc") || (done && dbl);
  v.at("not-in-pool") = v.at("not-in-pool") || (done && in_runs(c, taken, p) && !in_pool(p));
  v.at("count-mismatch") = v.at("count-mismatch") || (done && total_pages(c, taken) != n);
}

// The growths of one operation. Plain: one section at a time at the lowest growable section
// while free pages are short of the request. DMA: the window's pieces in ascending order. The two
// paths share the step's growth slots (only one of them runs).
Bmc::Impl::Grown Bmc::Impl::proposed_growths(State& x, const Runs& pre, const expr& is_alloc, const expr& n,
                                             const expr& f, const expr& fat, const std::vector<PageRun>& pieces,
                                             expr d_go, Violations& v, int t) {
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
  return {a_failed, d_go, fired};
}

// One operation of proposed (alloc or dma_alloc; both under its lock). Plain: grow one
// section at a time at the lowest growable section while free pages are short, then
// take_scattered. DMA: best fit in the free runs, else the cheapest window of free pages and
// growable sections, its growths made in ascending order. The two paths share the growth
// slots of the step (only one of them runs). Returns the pages handed out.
std::vector<PageRun> Bmc::Impl::proposed_step(State& x, const expr& is_alloc, const expr& is_dalloc, const expr& n,
                                   const expr& f, const expr& fat, Rec& r, Violations& v, int t) {
  Runs pre = proposed_runs(x);
  // DMA's plan, from the state before the operation.
  Pick bf = best_fit(d, pre.free, n);
  expr d_need = d.name(is_dalloc && !bf.found, "d_need");
  Pick win = cheapest_window(d, pre.combined, pre.free, pre.growable, n);
  expr d_ovf = B(false);
  std::vector<PageRun> pieces = window_growths(d, pre.growable, win.start, n, pps, growths_per_op, &d_ovf);
  expr d_go = d_need && win.found;
  Grown g = proposed_growths(x, pre, is_alloc, n, f, fat, pieces, d_go, v, t);
  const expr &a_failed = g.a_failed, &fired = g.fired;
  d_go = g.d_go;
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

}  // namespace unpop::solver
