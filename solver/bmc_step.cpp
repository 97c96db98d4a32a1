// The per-step relation: one step's choices, the operation of each path the variant has (its
// plain pool, its DMA source, the frees), the record the step completes, and the rules broken
// at it. Statements keep the order in which the encoding has always made its terms
// (bmc_impl.h).
#include "solver/bmc_impl.h"

#include <algorithm>

#include <fmt/format.h>

namespace unpop::solver {

using z3::expr;

void Bmc::Impl::build() {
  State x = !cfg.inductive ? initial() : cfg.inductive_genpool ? symbolic_initial_genpool() : symbolic_initial();
  s.add(p >= I(0));
  for (int t = 0; t < depth; ++t) step(x, t);
  for (const auto& def : d.defs()) s.add(def);
}

void Bmc::Impl::step(State& x, int t) {
  st.push_back(x);
  Violations v;
  for (const auto& rule : bmc_rules()) v.emplace(rule, B(false));
  for (const auto& rule : misuse_rules()) v.emplace(rule, B(false));
  Step in = choose(x, t);
  Rec r{B(false), B(false), B(false), B(false), B(false), I(0), in.N, I(-1), in.N, B(false), B(false)};
  expr rpool = I(0);
  pick_reference(x, in, in.is_free, false);
  pick_reference(x, in, in.is_dfree, true);
  in.is_drain = in.startop && in.K == I(k_drain);
  expr misused = (in.is_free || in.is_dfree) && in.M != I(misuse_none);
  in.terminal = misused || in.is_drain;
  in.misuse_bug = B(false);
  caller_rules(x, v, in);

  std::vector<expr> live1 = x.live, held1 = x.held;
  std::vector<PageRun> runs;  // proposed: the pages of this step's allocation
  if (proposed) runs = proposed_op(x, in, r, v, t);
  plain_alloc(x, in, r, v, t);
  dma_alloc(x, in, r, rpool, v, t);
  for (std::size_t j = 0; j < recs.size(); ++j) free_record(x, in, j, live1, held1);
  x.live = live1;
  x.held = held1;
  complete(x, in, r, rpool, runs);
  counts(x, in.act, v);
  collect(in, v);
  ended = ended || in.terminal;
  any_free = any_free || in.is_free || in.is_dfree;
}

// The step's unknowns and their ranges: operation kind K, request N, the record R a free names,
// the fault F and the growth FA it hits, the caller W, the misuse M and its size MN.
Bmc::Impl::Step Bmc::Impl::choose(const State& x, int t) {
  Step in(c);
  expr K = in.K = c.int_const(fmt::format("kind{}", t).c_str());
  expr N = in.N = c.int_const(fmt::format("nr{}", t).c_str());
  expr R = in.R = c.int_const(fmt::format("ref{}", t).c_str());
  expr F = in.F = c.int_const(fmt::format("fault{}", t).c_str());
  expr W = in.W = c.int_const(fmt::format("who{}", t).c_str());
  expr FA = in.FA = c.int_const(fmt::format("fault_at{}", t).c_str());
  fault_at.push_back(FA);
  s.add(FA >= I(0) && FA < I(static_cast<int>(growths_per_op)));
  bound_hit.push_back(B(false));
  kind.push_back(K);
  nr.push_back(N);
  ref.push_back(R);
  fault.push_back(F);
  who.push_back(W);
  s.add(K >= I(0) && K < I(cfg.misuse ? k_drain + 1 : k_count));
  expr M = in.M = c.int_const(fmt::format("misuse{}", t).c_str());
  expr MN = in.MN = c.int_const(fmt::format("misuse_nr{}", t).c_str());
  misuse_kind.push_back(M);
  misuse_nr.push_back(MN);
  s.add(M >= I(misuse_none) && M <= I(cfg.misuse ? misuse_last : misuse_none) && MN >= I(1) && MN <= U(cfg.max_nr));
  s.add(N >= I(1) && N <= U(cfg.max_nr));
  s.add(F >= I(0) && F < I(f_count));
  if (!cfg.faults || two) s.add(F == I(f_none));
  // The race is on the RFC's unlocked DMA path: with two callers only DMA calls run (the
  // plain path is one atomic step under list_lock and cannot interleave inside itself).
  if (two) s.add(K == I(k_dma_alloc) || K == I(k_dma_free));
  s.add(W >= I(0) && W <= I(two ? 1 : 0));
  in.act = !x.oops && !ended;
  // Two callers (RFC): a caller in the middle of an unlocked DMA allocation continues it.
  in.cont = B(false);
  in.cont_pc = I(0);
  in.cont_n = I(0);
  if (two) {
    in.cont = z3::ite(W == I(0), x.pc[0], x.pc[1]) != I(0);
    in.cont_pc = z3::ite(W == I(0), x.pc[0], x.pc[1]);
    in.cont_n = z3::ite(W == I(0), x.cn[0], x.cn[1]);
  }
  in.startop = in.act && !in.cont;
  in.is_alloc = in.startop && K == I(k_alloc);
  in.is_free = in.startop && K == I(k_free);
  in.is_dalloc = in.startop && K == I(k_dma_alloc);
  in.is_dfree = in.startop && K == I(k_dma_free);
  step_kind.push_back(z3::ite(in.cont, I(k_dma_alloc), K));
  return in;
}

// proposed's operation (both paths, one relation) and its live-page count: a free gives back
// a whole validated allocation, an allocation adds its request.
std::vector<PageRun> Bmc::Impl::proposed_op(State& x, const Step& in, Rec& r, Violations& v, int t) {
  std::vector<PageRun> runs = proposed_step(x, in.is_alloc, in.is_dalloc, in.N, in.F, in.FA, r, v, t);
  for (std::size_t j = 0; j < recs.size(); ++j) {
    expr back = sel(in, j, in.is_free) || sel(in, j, in.is_dfree);  // freed whole: live pages, right path
    x.live0 = z3::ite(back, x.live0 - recs[j].n, x.live0);
  }
  x.live0 = z3::ite(r.ok && (in.is_alloc || in.is_dalloc), x.live0 + in.N, x.live0);
  return runs;
}

// The plain path's allocation: page_list (list allocators) or the one genpool (V1). Each runs
// on a copy of the state merged back under is_alloc.
void Bmc::Impl::plain_alloc(State& x, const Step& in, Rec& r, Violations& v, int t) {
  const expr& is_alloc = in.is_alloc;
  if (list_plain) {
    State y = x;
    Rec rr = r;
    list_alloc(y, is_alloc, in.N, in.F, rr, v, t);
    merge(x, y, is_alloc);
    r.ok = z3::ite(is_alloc, rr.ok, r.ok);
    r.list = z3::ite(is_alloc, B(true), r.list);
    r.popped = z3::ite(is_alloc, rr.popped, r.popped);
    r.fired = r.fired || (is_alloc && rr.fired);
  } else if (gp_plain) {
    State y = x;
    Rec rr = r;
    expr failed = B(false);
    gp_alloc_op(y, is_alloc, in.N, in.F, 0, false, rr, v, t, false, &failed);
    merge(x, y, is_alloc);
    r.ok = z3::ite(is_alloc, rr.ok, r.ok);
    r.s = z3::ite(is_alloc, rr.s, r.s);
    r.chunk = z3::ite(is_alloc, rr.chunk, r.chunk);
    r.fired = r.fired || (is_alloc && rr.fired);
    v.at("spurious-enomem") = v.at("spurious-enomem") || (failed && !rr.fired && could_serve(x, in.N, false));
  }
}

// The DMA path's allocation, by its source (proposed's is in proposed_op).
void Bmc::Impl::dma_alloc(State& x, const Step& in, Rec& r, expr& rpool, Violations& v, int t) {
  if (cma_dma) {
    dma_from_cma(x, in, r, v);
  } else if (gp_dma && !two) {
    dma_from_own_genpool(x, in, r, rpool, v, t);
  } else if (gp_dma && two) {
    unlocked_dma_step(x, r, rpool, v, t, in);
  } else if (gp_plain) {
    dma_from_shared_genpool(x, in, r, v, t);
  }
}

// dma_alloc_coherent from CMA RAM (upstream, x86): it succeeds unless its fault fires or RAM
// runs out; the checker calls it ram-stolen while the pool or the target could serve.
void Bmc::Impl::dma_from_cma(State& x, const Step& in, Rec& r, Violations& v) {
  const expr &is_dalloc = in.is_dalloc, &N = in.N;
  expr ok = is_dalloc && in.F != I(f_cma) && x.ram_taken + N <= U(ram_pages);
  expr fired = is_dalloc && in.F == I(f_cma);
  r.ok = z3::ite(is_dalloc, ok, r.ok);
  r.ram = z3::ite(is_dalloc, B(true), r.ram);
  r.fired = r.fired || fired;
  x.ram_taken = z3::ite(ok, x.ram_taken + N, x.ram_taken);
  v.at("ram-stolen") = v.at("ram-stolen") || (ok && could_serve(x, N, true));
}

// A DMA genpool of its own (the RFC's, pool 1), one caller: the allocation with its fill and
// retry as one step.
void Bmc::Impl::dma_from_own_genpool(State& x, const Step& in, Rec& r, expr& rpool, Violations& v, int t) {
  const expr& is_dalloc = in.is_dalloc;
  State y = x;
  Rec rr = r;
  expr failed = B(false);
  gp_alloc_op(y, is_dalloc, in.N, in.F, 1, true, rr, v, t, true, &failed);
  merge(x, y, is_dalloc);
  r.ok = z3::ite(is_dalloc, rr.ok, r.ok);
  r.s = z3::ite(is_dalloc, rr.s, r.s);
  r.chunk = z3::ite(is_dalloc, rr.chunk, r.chunk);
  r.rev = z3::ite(is_dalloc, rr.rev, r.rev);
  r.fired = r.fired || (is_dalloc && rr.fired);
  rpool = z3::ite(is_dalloc, I(1), rpool);
  v.at("spurious-enomem") = v.at("spurious-enomem") || (failed && !rr.fired && could_serve(x, in.N, true));
}

// The one genpool for everything (V1, pool 0), falling back to dma_alloc_coherent() when the
// contiguous allocation fails.
void Bmc::Impl::dma_from_shared_genpool(State& x, const Step& in, Rec& r, Violations& v, int t) {
  const expr &is_dalloc = in.is_dalloc, &N = in.N;
  State y = x;
  Rec rr = r;
  expr failed = B(false);
  gp_alloc_op(y, is_dalloc, N, in.F, 0, false, rr, v, t, true, &failed);
  merge(x, y, is_dalloc);
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

// free / dma_free of record j, if the step names it: the pages go back where the variant puts
// them (page_list, genpool, RAM).
void Bmc::Impl::free_record(State& x, const Step& in, std::size_t j, std::vector<expr>& live1,
                            std::vector<expr>& held1) {
  expr fj = sel(in, j, in.is_free);
  expr dj = sel(in, j, in.is_dfree);
  live1[j] = live1[j] && !fj && !dj;
  if (list_plain) {
    list_push_record(x, fj, j);
  } else if (gp_plain) {
    held1[j] = held1[j] && !fj;
    x.live0 = z3::ite(fj && !recs[j].ram, x.live0 - recs[j].n, x.live0);
  }
  if (cma_dma) {
    x.ram_taken = z3::ite(dj, x.ram_taken - recs[j].n, x.ram_taken);
  } else if (gp_dma) {
    if (mut == Mutant::dma_free_to_list) {
      // DMA pages pushed to page_list: genpool keeps them allocated.
      expr in_range = dj && recs[j].s <= p && p < recs[j].s + recs[j].n;
      expr k = recs[j].n;
      x.pd = z3::ite(in_range, k - I(1) - (p - recs[j].s), z3::ite(dj && x.pl, x.pd + k, x.pd));
      x.pl = x.pl || in_range;
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

// The record of an allocation completing at this step, and what it holds.
void Bmc::Impl::complete(State& x, const Step& in, Rec& r, const expr& rpool, const std::vector<PageRun>& runs) {
  if (two) {
    r.made = in.is_alloc || r.made;  // unlocked_dma_step set made/dma for DMA completions
  } else {
    r.made = in.is_alloc || in.is_dalloc;
    r.dma = in.is_dalloc;
  }
  // A fault is only chosen where it fires (so every `fail` op of a counterexample matters).
  s.add(z3::implies(in.F != I(f_none), r.fired));
  rec_pools.push_back(rpool);
  recs.push_back(r);
  rec_runs.push_back(runs);
  x.live.push_back(r.made && r.ok);
  x.held.push_back(r.made && r.ok && !r.ram && !r.list);
  rec_pin.push_back(record_has_p(x, r, runs));
}

// The rules broken at this step, as the queries ask them. After a misuse the allocator's state
// is not encoded: only the caller rules count there.
void Bmc::Impl::collect(const Step& in, Violations& v) {
  for (auto& [rule, e] : v) {
    bool caller = std::find(misuse_rules().begin(), misuse_rules().end(), rule) != misuse_rules().end();
    if (cfg.misuse && rule == "kernel-bug") {
      // Misuse queries ask for genpool's BUG() on the bad free itself.
      viol[rule].push_back(in.act && in.terminal && in.misuse_bug);
      continue;
    }
    viol[rule].push_back(in.act && (caller ? in.terminal && e : !in.terminal && (e || bound_hit.back())));
  }
}

}  // namespace unpop::solver
