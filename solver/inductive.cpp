#include "solver/inductive.h"

#include <chrono>

#include <fmt/format.h>

#include "model/case/runner.h"
#include "model/spec/alloc_spec.h"
#include "solver/grow.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

std::vector<QueryResult> inductive_growth(const Case& base, unsigned timeout_ms) {
  std::vector<QueryResult> out;
  const Geometry geo = case_geometry(base);
  const bool use_iomem = base.variant == "x86" || base.layout.arch == Arch::x86_64;
  const std::uint64_t sec = geo.section_size();
  const std::uint64_t page = geo.page_size();
  const std::vector<std::string> rules = {"ram-overlap", "device-overlap", "outside-ext-region", "growth-misaligned",
                                          "growth-overlap", "inv-preserved"};
  for (const auto& rule : rules) {
    if (rule == "outside-ext-region" && use_iomem) continue;
    auto t0 = std::chrono::steady_clock::now();
    z3::context c;
    Z3Domain d(c);
    World w = world_from_layout(c, base.layout, geo, use_iomem, base.mutant);
    QueryResult q;
    q.group = "inductive";
    q.variant = base.variant;
    q.mutant = to_string(base.mutant);
    q.rule = rule;
    q.op = base.variant == "rfc"        ? "fill_dma_pool"
           : base.variant == "v1"       ? "fill_pool"
           : base.variant == "proposed" ? "grow(window)"
                                        : "fill_list";
    if (!w.has_target) {
      q.verdict = Verdict::unknown;
      q.detail = "no target on this layout (balloon fallback)";
      out.push_back(q);
      continue;
    }
    z3::solver s(c);
    s.set("timeout", timeout_ms);
    // The slot predicate of Inv (what a growth that went through Kernel::grow looks like).
    auto slot_inv = [&](const Slot& x) { return slot_invariant(d, w, x, !use_iomem, sec); };
    auto disjoint = [&](const Slot& a, const Slot& b) {
      return !(a.pooled && b.pooled && spec::overlaps(d, a.s, a.e, b.s, b.e));
    };
    std::vector<Slot> prior;
    for (int j = 0; j < 2; ++j) {
      auto b = [&](const char* n) { return c.bool_const(fmt::format("{}{}", n, j).c_str()); };
      auto i = [&](const char* n) { return c.int_const(fmt::format("{}{}", n, j).c_str()); };
      Slot x{b("intree"), b("mirrored"), b("mapped"), b("pooled"), i("s"), i("e"), i("tree_e"),
             c.int_val(base.variant == "rfc" ? 1 : 0)};
      s.add(x.mapped == x.pooled);
      s.add(slot_inv(x));
      prior.push_back(x);
    }
    s.add(disjoint(prior[0], prior[1]));
    // One growth through the variant's fill function: any request, any fault.
    z3::expr nr = c.int_const("nr"), fault = c.int_const("fault");
    s.add(nr >= 1 && fault >= 0 && fault < f_count);
    GrowParams gp{&w, geo, base.mutant, base.variant == "rfc", base.variant == "rfc" || base.variant == "v1",
                  base.variant == "rfc" ? 1 : 0, false};
    GrowOut g = [&]() {
      if (base.variant != "proposed")
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
    const Slot& n = g.slot;
    z3::expr viol = c.bool_val(false);
    viol = g.ok && placement_broken(d, w, rule, n.s, n.e, sec);
    if (rule == "growth-overlap") {
      for (const Slot& x : prior)
        viol = viol || (g.ok && x.pooled &&
                        spec::overlaps(d, d.floor_div(n.s, page), d.floor_div(n.e, page), d.floor_div(x.s, page),
                                       d.floor_div(x.e, page)));
    }
    if (rule == "inv-preserved") viol = !slot_inv(n) || !disjoint(n, prior[0]) || !disjoint(n, prior[1]);
    s.add(viol);
    for (const auto& def : d.defs()) s.add(def);
    auto res = s.check();
    if (res == z3::unsat) {
      q.verdict = Verdict::proved;
      q.detail = "Inv(s) and one growth (any request, any fault) imply the rule in s'";
    } else if (res == z3::sat) {
      auto m = s.get_model();
      auto v = [&](const z3::expr& e) { return as_u64(m.eval(e, true)); };
      q.verdict = Verdict::refuted;
      q.detail = fmt::format("counterexample to induction: earlier growths {}{}; nr={} fault={} -> new growth {} (ok={})",
                             m.eval(prior[0].pooled, true).is_true() ? to_string(Range{v(prior[0].s), v(prior[0].e)}) : "-",
                             m.eval(prior[1].pooled, true).is_true() ? ", " + to_string(Range{v(prior[1].s), v(prior[1].e)}) : "",
                             v(nr), fault_name(static_cast<int>(v(fault))), to_string(Range{v(n.s), v(n.e)}),
                             m.eval(g.ok, true).is_true());
    } else {
      q.verdict = Verdict::unknown;
      q.detail = s.reason_unknown();
    }
    // On an Arm layout the iomem target (x86 variant) knows nothing of the grant-table region.
    // Informational there: whether growth can reach it depends on the layout.
    bool informational = base.variant == "x86" && (rule == "device-overlap" || rule == "inv-preserved");
    q.expected_ok = base.mutant == Mutant::none && !informational ? q.verdict == Verdict::proved
                                                                  : q.verdict != Verdict::unknown;
    q.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.push_back(q);
  }
  return out;
}

}  // namespace unpop::solver
