// Misbehaving callers (BmcConfig::misuse): which allocation a free names, the checker's caller
// rules on the misusing step, and whether genpool takes the free at all.
#include "solver/bmc_impl.h"

namespace unpop::solver {

using z3::expr;

// Frees name a live allocation of their own path (well-behaved callers); a misusing caller
// names one already given back, or a live one through the other path, or a live DMA range with
// the wrong size. RAM allocations are not misused (their free is RAM's).
void Bmc::Impl::pick_reference(const State& x, const Step& in, const expr& is_op, bool dma) {
  const expr &M = in.M, &MN = in.MN;
  expr okref = B(false);
  for (std::size_t j = 0; j < recs.size(); ++j) {
    expr own = dma ? recs[j].dma : !recs[j].dma;
    expr done = recs[j].made && recs[j].ok && !recs[j].ram;
    expr range = !recs[j].list && !recs[j].ram && (proposed ? recs[j].dma : B(true));  // one range
    expr how = z3::ite(M == I(misuse_none), x.live[j] && own,
               z3::ite(M == I(misuse_free_again), done && !x.live[j] && own,
               z3::ite(M == I(misuse_other_path), done && x.live[j] && !own,
                       B(dma) && done && x.live[j] && own && range && MN != recs[j].n)));
    okref = okref || (in.R == I(static_cast<int>(j)) && how);
  }
  s.add(z3::implies(is_op, okref));
}

// Is p one of the pages record r handed out? (List records: p popped by it.)
z3::expr Bmc::Impl::record_has_p(const State& after, const Rec& r, const std::vector<PageRun>& runs) {
  const expr idx = I(static_cast<int>(recs.size() - 1));
  if (!runs.empty()) return in_runs(c, runs, p);
  expr range = r.made && r.ok && !r.list && !r.ram && r.s <= p && p < r.s + r.n;
  return range || (r.made && r.ok && r.list && after.plive && after.powner == idx);
}

// p is live in the checker (handed out, not given back), and by which path.
z3::expr Bmc::Impl::p_live(const State& x, bool dma) {
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
z3::expr Bmc::Impl::genpool_accepts(const State& x, const expr& first, const expr& n) {
  expr o = B(false);
  for (std::size_t k = 0; k < recs.size(); ++k)
    o = o || (x.held[k] && recs[k].s <= first && first + n <= recs[k].s + recs[k].n);
  return o;
}

z3::expr Bmc::Impl::genpool_holds_p(const State& x) {
  expr o = B(false);
  for (std::size_t k = 0; k < recs.size(); ++k) o = o || (x.held[k] && recs[k].s <= p && p < recs[k].s + recs[k].n);
  return o;
}

bool Bmc::Impl::genpool_frees(bool dma) const {
  return (gp_dma && dma && mut != Mutant::dma_free_to_list) || gp_plain;
}

// Checker::check_pages_freed and drained() on the misusing step, before the allocator acts;
// and, where genpool takes the free, its BUG() there (`misuse_bug`, the kernel-bug rule of
// the misuse queries).
void Bmc::Impl::caller_rules(const State& x, Violations& v, Step& in) {
  const expr &M = in.M, &MN = in.MN;
  expr live_p = p_live(x, false) || p_live(x, true);
  expr held_p = genpool_holds_p(x);
  for (std::size_t j = 0; j < recs.size(); ++j) {
    expr me = in.R == I(static_cast<int>(j));
    const expr& sj = recs[j].s;
    for (bool dma : {false, true}) {
      expr step = (dma ? in.is_dfree : in.is_free) && me;
      expr n = z3::ite(M == I(misuse_wrong_size), MN, recs[j].n);
      expr seen = B(true);
      if (genpool_frees(dma)) {
        // A page_list record (RFC plain pages freed as DMA) starts in no DMA chunk: BUG().
        expr in_free = !recs[j].list && sj <= p && p < sj + n;
        expr bug = recs[j].list || (in_free && !held_p);
        in.misuse_bug = in.misuse_bug || (step && M != I(misuse_none) && bug);
        seen = !recs[j].list && (genpool_accepts(x, sj, n) || (gp_over && !bug));
      }
      if (cma_dma && dma) {
        // dma_free_coherent: the checker's RAM branch; pool pages were never taken as RAM.
        v.at("unknown-free") = v.at("unknown-free") || (step && M == I(misuse_other_path));
        continue;
      }
      // A page once handed out and not live now was given back: double-free.
      v.at("double-free") = v.at("double-free") || (step && seen && M == I(misuse_free_again) && rec_pin[j] && !live_p);
      // A live page of the other path.
      v.at("mixed-free") =
          v.at("mixed-free") || (step && seen && M == I(misuse_other_path) && rec_pin[j] && p_live(x, !dma));
      if (dma) wrong_size_rules(x, v, in, j, step && seen);
    }
  }
  expr held = B(false);
  for (std::size_t j = 0; j < recs.size(); ++j) held = held || x.live[j];
  v.at("leak") = v.at("leak") || (in.is_drain && held);
}

// dma_free_pfn s_j MN of record j's range (`freed`: the step frees it and the checker sees it):
// no live DMA allocation starts at s_j with MN pages, and pages past the allocation were never
// handed out.
void Bmc::Impl::wrong_size_rules(const State& x, Violations& v, const Step& in, std::size_t j, const expr& freed) {
  const expr& sj = recs[j].s;
  expr df = freed && in.M == I(misuse_wrong_size);
  expr exact = B(false);
  for (std::size_t k = 0; k < recs.size(); ++k)
    exact = exact || (x.live[k] && recs[k].dma && !recs[k].list && !recs[k].ram && recs[k].s == sj &&
                      recs[k].n == in.MN && !recs[k].rev);
  v.at("dma-free-mismatch") = v.at("dma-free-mismatch") || (df && !exact);
  // Pages past the allocation never handed out, with nothing given back yet (so none of them
  // counts as a double free instead).
  expr beyond = sj + recs[j].n <= p && p < sj + in.MN;
  v.at("unknown-free") = v.at("unknown-free") || (df && beyond && !any_free && !ever_handed_p());
}

// p was handed out by some allocation so far.
z3::expr Bmc::Impl::ever_handed_p() {
  expr o = B(false);
  for (std::size_t j = 0; j < recs.size(); ++j) o = o || rec_pin[j];
  return o;
}

}  // namespace unpop::solver
