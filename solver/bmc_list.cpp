// The list allocators' page_list (upstream, x86, the RFC's plain path): fill_list and the pop
// under list_lock, the push of a free, against the checker's reference LIFO.
#include "solver/bmc_impl.h"

#include <fmt/format.h>

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

// fill_list when the list holds fewer pages than asked (one growth, its pages pushed
// ascending: p gets depth last - p, the pages below move down), on the list and on the
// checker's reference LIFO (which gets the growth's pages as the checker counts them).
Bmc::Impl::Filled Bmc::Impl::list_fill(State& x, const expr& active, const expr& n, const expr& f, Violations& v,
                                       int t) {
  expr need = active && spec::list_needs_fill(d, x.lc, n);
  expr req = spec::list_fill_request(d, x.lc, n);
  expr ap = z3::ite(need, spec::fill_pages(d, req, pps), U(pps));
  GrowOut g = grow(x, need, ap, f, 0, false, false, fmt::format("g{}", t), v);
  expr okg = g.ok;
  expr gfirst = pfn(g.slot.s);
  expr in_new = okg && gfirst <= p && p < gfirst + ap;
  expr pl1 = x.pl || in_new;
  expr pd1 = z3::ite(in_new, gfirst + ap - I(1) - p, z3::ite(okg && x.pl, x.pd + ap, x.pd));
  expr lc1 = z3::ite(okg, x.lc + ap, x.lc);
  expr ll1 = z3::ite(okg, x.ll + ap, x.ll);
  expr vp1 = z3::ite(okg, x.vpool0 + ap, x.vpool0);
  expr touched = spec::pages_touched(d, g.slot.s, g.slot.e, page);
  expr rin_new = okg && gfirst <= p && p < gfirst + touched;
  expr prl1 = x.prl || rin_new;
  expr prd1 = z3::ite(rin_new, gfirst + touched - I(1) - p, z3::ite(okg && x.prl, x.prd + touched, x.prd));
  return {g, need && !okg, pl1, pd1, lc1, ll1, vp1, prl1, prd1};
}

// xen_alloc_unpopulated_pages() on a list allocator: fill_list if needed, then n pages popped
// off page_list under list_lock (BUG_ON(!pg) if it runs dry), against the checker's reference
// LIFO. Fills the record's fields.
void Bmc::Impl::list_alloc(State& x, const expr& active, const expr& n, const expr& f, Rec& r, Violations& v,
                           int t) {
  Filled fl = list_fill(x, active, n, f, v, t);
  const GrowOut& g = fl.g;
  expr go = active && !fl.failed && !g.oops;
  expr popcount = mut == Mutant::pop_extra ? n + I(1) : n;
  expr bug = go && fl.ll < popcount;  // BUG_ON(!pg)
  expr done = go && !bug;
  // The page p, if popped: by the variant (LIFO, or FIFO under its mutant) and by the reference.
  expr popped_act = B(false), idx_act = I(0);
  if (mut == Mutant::fifo_order) {
    popped_act = fl.pl && fl.pd >= fl.ll - popcount;
    idx_act = fl.ll - I(1) - fl.pd;
  } else {
    popped_act = fl.pl && fl.pd < popcount;
    idx_act = fl.pd;
  }
  popped_act = done && popped_act;
  expr popped_ref = done && fl.prl && fl.prd < popcount;
  // Checker: order (LIFO reference), pool membership, double-alloc, the count handed out.
  expr out_of_order = (popped_act != popped_ref) || (popped_act && idx_act != fl.prd);
  v.at("order-mismatch") = v.at("order-mismatch") || (done && x.lifo_ok && out_of_order);
  v.at("not-in-pool") = v.at("not-in-pool") || (popped_act && !in_pool(p));
  v.at("double-alloc") = v.at("double-alloc") || (popped_act && (x.plive || in_live_range(x, p)));
  v.at("count-mismatch") = v.at("count-mismatch") || (done && popcount != n);
  v.at("kernel-bug") = v.at("kernel-bug") || bug || g.oops;
  x.lifo_ok = x.lifo_ok && !(done && out_of_order);
  // New state. LIFO: the pages left move up by popcount; FIFO pops from the bottom, depths stay.
  x.pl = z3::ite(done, fl.pl && !popped_act, fl.pl);
  x.pd = z3::ite(done && !popped_act, mut == Mutant::fifo_order ? fl.pd : fl.pd - popcount, fl.pd);
  x.prl = z3::ite(done, fl.prl && !popped_ref, fl.prl);
  x.prd = z3::ite(done && !popped_ref, fl.prd - popcount, fl.prd);
  x.plive = x.plive || popped_act;
  x.powner = z3::ite(popped_act, I(static_cast<int>(recs.size())), x.powner);
  x.pidx = z3::ite(popped_act, idx_act, x.pidx);
  x.lc = z3::ite(done, z3::ite(fl.lc >= popcount, fl.lc - popcount, I(0)), fl.lc);
  x.ll = z3::ite(done, fl.ll - popcount, fl.ll);
  x.vpool0 = fl.vpool0;
  // live_in_pool: pages handed out that were not live (all of them unless double-alloc).
  x.live0 = z3::ite(done, x.live0 + popcount, x.live0);
  x.oops = x.oops || bug || g.oops;
  r.ok = done;
  r.list = B(true);
  r.popped = popcount;
  r.fired = g.fired;
  // spurious-enomem: a failed fill without an injected fault while space remains.
  expr failed = active && fl.failed && !g.oops;
  v.at("spurious-enomem") = v.at("spurious-enomem") || (failed && !g.fired && could_serve(x, n, false));
}

void Bmc::Impl::list_push_record(State& x, const expr& active, std::size_t j) {
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

}  // namespace unpop::solver
