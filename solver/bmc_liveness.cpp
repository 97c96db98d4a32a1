// What the checker's liveness rules ask (Checker::could_serve): could the pool and the target's
// free sections have served a request that failed or went to RAM?
#include "solver/bmc_impl.h"

#include <algorithm>

#include <boost/icl/interval_set.hpp>

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

// How many of the target's free sections could_serve looks at: enough that a run grows into
// at most (depth + 1) * (sections per request + 1) of them and the largest request still
// sees all it can use, so cutting the list there changes no answer within the bound.
std::size_t Bmc::Impl::section_cap() const {
  std::size_t per = static_cast<std::size_t>((cfg.max_nr + pps - 1) / pps) + 1;
  return static_cast<std::size_t>(std::max(1, depth) + 1) * per + per;
}

void Bmc::Impl::compute_free_sections() {
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
z3::expr Bmc::Impl::section_free(std::size_t i) {
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
z3::expr Bmc::Impl::could_serve(const State& x, const expr& n, bool contiguous) {
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
z3::expr Bmc::Impl::serve_window(const State& x, const expr& n, const std::vector<expr>& sec_free) {
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

}  // namespace unpop::solver
