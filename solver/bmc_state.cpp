// The states a run starts from -- the boot state, and for the inductive steps an arbitrary
// state satisfying Inv (list part, genpool part) -- and what the state says of the tracked page.
#include "solver/bmc_impl.h"

#include <fmt/format.h>

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

Bmc::Impl::State Bmc::Impl::initial() {
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

// Inductive mode (list allocators): an arbitrary state satisfying Inv instead of the boot
// state -- two earlier growths with the growth invariant, counters consistent, the tracked
// page free on the list, live in one earlier allocation, or neither -- and one pre-existing
// live plain allocation a free can give back.
Bmc::Impl::State Bmc::Impl::symbolic_initial() {
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
Bmc::Impl::State Bmc::Impl::symbolic_initial_genpool() {
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

void Bmc::Impl::merge(State& x, const State& y, const expr& cond) {
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

// Pfn range of slot j (as the checker counts a growth: PFN_DOWN(start)..PFN_DOWN(end)).
z3::expr Bmc::Impl::in_slot_pages(std::size_t j, const expr& x) {
  return slots[j].pooled && pfn(slots[j].s) <= x && x <= pfn(slots[j].e);
}

z3::expr Bmc::Impl::in_pool(const expr& x) {
  expr o = B(false);
  for (std::size_t j = 0; j < slots.size(); ++j) o = o || in_slot_pages(j, x);
  for (const auto& r : seeds) o = o || (U(r.start / page) <= x && x <= U(r.end / page));
  return o;
}

z3::expr Bmc::Impl::in_live_range(const State& x, const expr& q) {
  expr o = B(false);
  for (std::size_t j = 0; j < recs.size(); ++j)
    o = o || (x.live[j] && !recs[j].list && !recs[j].ram && recs[j].s <= q && q < recs[j].s + recs[j].n);
  return o;
}

}  // namespace unpop::solver
