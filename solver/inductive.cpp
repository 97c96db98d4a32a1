#include "solver/inductive.h"

#include <fmt/format.h>

#include "model/case/runner.h"
#include "model/spec/alloc_spec.h"
#include "solver/grow.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

namespace {

// One rule's query, in a context of its own: an arbitrary state whose growths satisfy Inv and
// one growth through the variant's fill function (any request, any fault). An informational
// rule need not be proved.
QueryResult growth_step(const Case& base, const std::string& rule, bool informational, const Limits& lim) {
  const Geometry geo = case_geometry(base);
  const VariantInfo& info = variant_info(base.variant);
  const VariantTraits& tr = info.traits;
  const bool use_iomem = uses_iomem_target(info, base.layout);
  // The growth the step checks: a DMA genpool of its own grows by its own fill (the RFC's
  // fill_dma_pool, with its tmp_res slip); a genpool adds every growth as a chunk.
  const bool own_dma = tr.dma == DmaSource::own_genpool;
  const int pool = own_dma ? 1 : 0;
  const bool gp_add = own_dma || tr.pool == PoolKind::genpool;
  const std::uint64_t sec = geo.section_size();
  const std::uint64_t page = geo.page_size();
  z3::context c;
  Z3Domain d(c);
  World w = world_from_layout(c, base.layout, geo, use_iomem, base.mutant);
  QueryResult q;
  q.group = "inductive";
  q.variant = base.variant;
  q.mutant = to_string(base.mutant);
  q.rule = rule;
  q.op = tr.growth_fn;
  if (!w.has_target) {
    q.verdict = Verdict::unknown;
    q.detail = "no target on this layout (balloon fallback)";
    return q;
  }
  z3::solver s(c);
  std::vector<Slot> prior = assume_inv_growths(d, s, w, !use_iomem, sec, [&](int) { return c.int_val(pool); });
  z3::expr nr = c.int_const("nr"), fault = c.int_const("fault");
  s.add(nr >= 1 && fault >= 0 && fault < f_count);
  GrowParams gp{&w, geo, base.mutant, own_dma && tr.tmp_res_slip, gp_add, pool, false};
  GrowOut g = [&]() {
    if (tr.pool != PoolKind::runs)
      return encode_grow(d, gp, c.bool_val(true), spec::fill_pages(d, nr, geo.pages_per_section()), fault, prior, "n");
    // proposed grows whole sections in a window it chose (spec.window): any section-aligned
    // window of any number of sections stands for its choice (an over-approximation).
    z3::expr k = c.int_const("win_k"), secs = c.int_const("win_secs");
    s.add(k >= 0 && secs >= 1);
    z3::expr ws = d.mul(k, sec);
    z3::expr pages = d.mul(secs, geo.pages_per_section());
    z3::expr we = ws + d.mul(pages, page) - c.int_val(1);
    gp.windowed = true;
    return encode_grow(d, gp, c.bool_val(true), pages, fault, prior, "n", &ws, &we);
  }();
  z3::expr viol = growth_step_broken(d, w, rule, g, prior, !use_iomem, sec, page);
  prove(s, with_defs(viol, d), Scope::for_good, lim, q,
        "Inv(s) and one growth (any request, any fault) imply the rule in s'", [&](const z3::model& m) {
          q.detail = "counterexample to induction: " + growth_cti(m, prior, nr, fault, g);
        });
  q.expected_ok = base.mutant == Mutant::none && !informational ? q.verdict == Verdict::proved
                                                                : q.verdict != Verdict::unknown;
  return q;
}

}  // namespace

std::vector<QueryResult> inductive_growth(const Case& base, const Limits& lim) {
  std::vector<QueryResult> out;
  const VariantInfo& info = variant_info(base.variant);
  const bool use_iomem = uses_iomem_target(info, base.layout);
  // Placement rules a by-design finding of the variant may break depending on the layout
  // (the iomem target over the grant-table region) are informational, and so is Inv with them.
  std::vector<Needs> present, possible;
  if (!use_iomem) present.push_back(Needs::arm_target);
  for (Needs n : all_needs())
    if (n != Needs::nothing && n != Needs::arm_target) possible.push_back(n);
  auto expect = [&](const std::string& rule) {
    return expectation(info, rule, op_alloc | op_dma_alloc, present, possible);
  };
  std::vector<std::string> rules = rules_of({RuleKind::placement});
  bool inv_informational = false;
  for (const auto& r : rules) inv_informational = inv_informational || expect(r) == Expect::either;
  rules.push_back("inv-preserved");
  for (const auto& rule : rules) {
    if (rule == "outside-ext-region" && use_iomem) continue;  // the iomem target has no regions
    // On an Arm layout the iomem target (x86 variant) knows nothing of the grant-table region.
    // Informational there: whether growth can reach it depends on the layout.
    bool informational = rule == "inv-preserved" ? inv_informational : expect(rule) == Expect::either;
    out.push_back(growth_step(base, rule, informational, lim));
  }
  return out;
}

}  // namespace unpop::solver
