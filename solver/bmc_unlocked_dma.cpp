// The RFC's xen_alloc_unpopulated_dma_pages() without a lock: gen_pool_alloc, fill_dma_pool and
// the retry are separate atomic steps, and two callers interleave them.
#include "solver/bmc_impl.h"

#include <fmt/format.h>

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

// One atomic step of caller `who` (in.W) on that path: phase 1 (idle caller) the first
// gen_pool_alloc, phase 2 (it failed) fill_dma_pool, phase 3 (filled) the retry. The state keeps
// each caller's phase and request.
void Bmc::Impl::unlocked_dma_step(State& x, Rec& r, expr& rpool, Violations& v, int t, const Step& in) {
  const expr &cont = in.cont, &cont_pc = in.cont_pc, &cont_n = in.cont_n, &W = in.W, &N = in.N;
  expr act = !x.oops;
  expr phase1 = in.is_dalloc;
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
  expr dbl = overlaps_live_range(x, r.s, n);
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
}

}  // namespace unpop::solver
