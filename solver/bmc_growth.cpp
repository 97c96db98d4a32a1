// One growth of the pool as a slot (encode_grow), with the checker's growth rules on it, and the
// counts the checker compares after every operation.
#include "solver/bmc_impl.h"

#include <fmt/format.h>

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

GrowOut Bmc::Impl::grow(State& x, const expr& active, const expr& alloc_pages, const expr& f, int pool, bool slip,
             bool gp_add, const std::string& tag, Violations& v, const expr* win_s,
             const expr* win_e) {
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

// Count reports after an op (Checker::counts).
void Bmc::Impl::counts(const State& x, const expr& active, Violations& v) {
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

}  // namespace unpop::solver
