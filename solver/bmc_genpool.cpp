// genpool (lib/genalloc.c): best fit, newest chunk first, exact over the records; an allocation
// with one fill and a retry (the RFC's DMA pool, unlocked; V1 under its lock); pool sizes.
#include "solver/bmc_impl.h"

#include <fmt/format.h>

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

Bmc::Impl::GpOut Bmc::Impl::gp_alloc(const State& x, int pool, const expr& n, const std::vector<Slot>& ss, const std::vector<expr>& pages) {
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

z3::expr Bmc::Impl::gp_avail(const State& x, int pool) {
  expr tot = I(0);
  for (std::size_t j = 0; j < slots.size(); ++j)
    tot = tot + z3::ite(slots[j].pooled && slots[j].pool == I(pool), slot_pages[j], I(0));
  for (std::size_t r = 0; r < recs.size(); ++r)
    tot = tot - z3::ite(x.held[r] && !recs[r].list && !recs[r].ram && rec_pool(r) == I(pool), recs[r].n, I(0));
  return tot;
}

z3::expr Bmc::Impl::gp_size(int pool) {
  expr tot = I(0);
  for (std::size_t j = 0; j < slots.size(); ++j)
    tot = tot + z3::ite(slots[j].pooled && slots[j].pool == I(pool), slot_pages[j], I(0));
  return tot;
}

// Pages [s0, s0 + n) share one with a live range allocation (the checker's double-alloc).
z3::expr Bmc::Impl::overlaps_live_range(const State& x, const expr& s0, const expr& n) {
  expr dbl = B(false);
  for (std::size_t k = 0; k < recs.size(); ++k)
    dbl = dbl || (x.live[k] && !recs[k].list && !recs[k].ram &&
                  spec::overlaps(d, s0, s0 + n - I(1), recs[k].s, recs[k].s + recs[k].n - I(1)));
  return dbl;
}

void Bmc::Impl::gp_alloc_op(State& x, const expr& active, const expr& n, const expr& f, int pool, bool slip, Rec& r,
                 Violations& v, int t, bool dma_path, expr* failed_out) {
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
  expr dbl = overlaps_live_range(x, r.s, n);
  dbl = dbl || (x.plive && r.s <= p && p < r.s + n);
  v.at("double-alloc") = v.at("double-alloc") || (ok && dbl);
  if (dma_path) v.at("not-contiguous") = v.at("not-contiguous") || (ok && r.rev);
  if (pool == 0)
    x.live0 = z3::ite(ok, x.live0 + n, x.live0);
  else
    x.live1 = z3::ite(ok, x.live1 + n, x.live1);
  *failed_out = active && !ok && !g.oops;
}

}  // namespace unpop::solver
