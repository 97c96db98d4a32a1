#include "solver/grow.h"

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/linux/kernel.h"
#include "model/spec/alloc_spec.h"

namespace unpop::solver {

namespace {
ZRange lit_range(z3::context& c, const Range& r) {
  return {c.int_val(static_cast<std::uint64_t>(r.start)), c.int_val(static_cast<std::uint64_t>(r.end))};
}
z3::expr neg(z3::context& c, int e) { return c.int_val(-e); }
}  // namespace

World world_from_layout(z3::context& c, const Layout& l, const Geometry& g, bool use_iomem, Mutant m) {
  // The model's own kernel world computes the target, its holes and iomem's top level.
  Kernel k(l, g, m, nullptr);
  int ret = use_iomem ? k.iomem_init() : k.arm_init();
  World w{!use_iomem, ret == 0, lit_range(c, Range{0, 0}), {}, {}, lit_range(c, iomem_span(l)), {}, {}, {},
          lit_range(c, k.pluggable())};
  if (ret == 0) {
    w.target = lit_range(c, k.tree().get(k.target()).range);
    for (ResId id : k.tree().children(k.target())) w.target_children.push_back(lit_range(c, k.tree().get(id).range));
  }
  for (ResId id : k.tree().children(k.iomem())) w.iomem_children.push_back(lit_range(c, k.tree().get(id).range));
  for (const auto& r : l.ram) w.ram.push_back(lit_range(c, r.range));
  for (const auto& r : l.devices()) w.devices.push_back(lit_range(c, r.range));
  for (const auto& r : l.ext_regions) w.regions.push_back(lit_range(c, r));
  return w;
}

const char* fault_name(int f) {
  static const char* names[] = {"none",          "kzalloc(res)",   "allocate_resource", "kzalloc(tmp_res)",
                                "request_resource", "kzalloc(pgmap)", "memremap_pages",    "gen_pool_add",
                                "balloon",       "dma_alloc"};
  return f >= 0 && f < f_count ? names[f] : "?";
}

std::string fault_op(int f, bool arm, int growth) {
  // Each earlier growth of the operation made all its kzallocs (res, tmp_res on Arm, pgmap)
  // and hit every other point once: the fault fires at this growth's hit.
  const int kz = growth * (arm ? 3 : 2);
  const int nth = growth + 1;
  switch (f) {
    case f_kz_res: return fmt::format("fail kzalloc {}", kz + 1);
    case f_alloc_res: return fmt::format("fail allocate_resource {}", nth);
    case f_kz_tmp: return fmt::format("fail kzalloc {}", kz + 2);
    case f_req_res: return fmt::format("fail request_resource {}", nth);
    case f_kz_pgmap: return fmt::format("fail kzalloc {}", kz + (arm ? 3 : 2));
    case f_memremap: return fmt::format("fail memremap_pages {}", nth);
    case f_gp_add: return fmt::format("fail gen_pool_add {}", nth);
    case f_balloon: return "fail balloon 1";
    case f_cma: return "fail dma_alloc 1";
    default: return "";
  }
}

z3::expr slot_invariant(Z3Domain& d, const World& w, const Slot& x, bool arm, std::uint64_t section) {
  z3::expr good = spec::growth_whole_sections(d, x.s, x.e, section) && x.e == x.tree_e &&
                  !hits_any(d, x.s, x.e, w.ram) && !hits_any(d, x.s, x.e, w.devices) &&
                  spec::contains(d, w.plug.s, w.plug.e, x.s, x.e) && x.intree && x.mapped &&
                  !hits_any(d, x.s, x.e, w.target_children) && spec::contains(d, w.target.s, w.target.e, x.s, x.e);
  if (arm) good = good && inside_one(d, x.s, x.e, w.regions) && x.mirrored && !hits_any(d, x.s, x.e, w.iomem_children);
  z3::expr gone = !x.intree && !x.mirrored && !x.mapped;
  return z3::ite(x.pooled, good, gone);
}

z3::expr misaligned(Z3Domain& d, const z3::expr& s, const z3::expr& e, std::uint64_t section) {
  return !spec::growth_whole_sections(d, s, e, section);
}

std::vector<Slot> assume_inv_growths(Z3Domain& d, z3::solver& s, const World& w, bool arm, std::uint64_t section,
                                     const std::function<z3::expr(int)>& pool, const std::string& prefix) {
  z3::context& c = d.ctx();
  std::vector<Slot> out;
  for (int j = 0; j < 2; ++j) {
    auto b = [&](const char* n) { return c.bool_const(fmt::format("{}{}{}", prefix, n, j).c_str()); };
    auto i = [&](const char* n) { return c.int_const(fmt::format("{}{}{}", prefix, n, j).c_str()); };
    Slot x{b("intree"), b("mirrored"), b("mapped"), b("pooled"), i("s"), i("e"), i("tree_e"), pool(j)};
    s.add(x.mapped == x.pooled && slot_invariant(d, w, x, arm, section));
    for (const Slot& o : out) s.add(!slots_overlap(d, o, x));
    out.push_back(x);
  }
  return out;
}

z3::expr slots_overlap(Z3Domain& d, const Slot& a, const Slot& b) {
  return a.pooled && b.pooled && spec::overlaps(d, a.s, a.e, b.s, b.e);
}

z3::expr growth_step_broken(Z3Domain& d, const World& w, const std::string& rule, const GrowOut& g,
                            const std::vector<Slot>& prior, bool arm, std::uint64_t section, std::uint64_t page) {
  const Slot& n = g.slot;
  if (rule == "inv-preserved") {
    z3::expr bad = !slot_invariant(d, w, n, arm, section);
    for (const Slot& x : prior) bad = bad || slots_overlap(d, n, x);
    return bad;
  }
  z3::expr viol = g.ok && placement_broken(d, w, rule, n.s, n.e, section);
  if (rule == "growth-overlap")
    for (const Slot& x : prior)
      viol = viol || (g.ok && x.pooled &&
                      spec::overlaps(d, d.floor_div(n.s, page), d.floor_div(n.e, page), d.floor_div(x.s, page),
                                     d.floor_div(x.e, page)));
  return viol;
}

std::string growth_cti(const z3::model& m, const std::vector<Slot>& prior, const z3::expr& nr, const z3::expr& fault,
                       const GrowOut& g) {
  auto v = [&](const z3::expr& e) { return as_u64(m.eval(e, true)); };
  auto pooled = [&](const Slot& x) { return m.eval(x.pooled, true).is_true(); };
  std::string first = pooled(prior[0]) ? to_string(Range{v(prior[0].s), v(prior[0].e)}) : "-";
  std::string second = pooled(prior[1]) ? ", " + to_string(Range{v(prior[1].s), v(prior[1].e)}) : "";
  return fmt::format("earlier growths {}{}; nr={} fault={} -> new growth {} (ok={})", first, second,
                     v(nr), fault_name(static_cast<int>(v(fault))), to_string(Range{v(g.slot.s), v(g.slot.e)}),
                     m.eval(g.ok, true).is_true());
}

z3::expr placement_broken(Z3Domain& d, const World& w, const std::string& rule, const z3::expr& s, const z3::expr& e,
                          std::uint64_t section) {
  if (rule == "ram-overlap") return hits_any(d, s, e, w.ram);
  if (rule == "device-overlap") return hits_any(d, s, e, w.devices);
  if (rule == "outside-ext-region") return !inside_one(d, s, e, w.regions);
  if (rule == "growth-misaligned") return misaligned(d, s, e, section);
  return d.ctx().bool_val(false);
}

z3::expr hits_any(Z3Domain& d, const z3::expr& s, const z3::expr& e, const std::vector<ZRange>& list) {
  z3::expr out = d.ctx().bool_val(false);
  for (const auto& r : list) out = out || spec::overlaps(d, s, e, r.s, r.e);
  return out;
}

z3::expr inside_one(Z3Domain& d, const z3::expr& s, const z3::expr& e, const std::vector<ZRange>& list) {
  z3::expr out = d.ctx().bool_val(false);
  for (const auto& r : list) out = out || spec::contains(d, r.s, r.e, s, e);
  return out;
}

GrowOut encode_grow(Z3Domain& d, const GrowParams& p, const z3::expr& active, const z3::expr& alloc_pages,
                    const z3::expr& fault, const std::vector<Slot>& prior, const std::string& tag,
                    const z3::expr* win_s, const z3::expr* win_e) {
  z3::context& c = d.ctx();
  const World& w = *p.w;
  const std::uint64_t page = p.geo.page_size();
  const bool mut_align = p.mutant == Mutant::no_section_align;
  const std::uint64_t align = mut_align ? page : p.geo.section_size();
  const z3::expr F = c.bool_val(false), T = c.bool_val(true);
  auto is = [&](int f) { return fault == c.int_val(f); };

  z3::expr size = d.mul(alloc_pages, page);
  z3::expr min = win_s ? *win_s : w.plug.s;
  z3::expr max = win_e ? *win_e : w.plug.e;
  z3::expr top = z3::ite(w.target.e < max, w.target.e, max);

  // allocate_resource(): the lowest candidate ALIGN(max(x, min)) over x in {target start,
  // child end + 1} that stays inside [min, top] and overlaps no child (exact first fit; see
  // docs/solver.md for why these candidates give the kernel's gap walk).
  std::vector<ZRange> kids = w.target_children;
  std::vector<z3::expr> kid_on;
  for (std::size_t i = 0; i < kids.size(); ++i) kid_on.push_back(T);
  for (const Slot& s : prior) {
    kids.push_back({s.s, s.tree_e});
    kid_on.push_back(s.intree);
  }
  const bool ignore_children = p.mutant == Mutant::overlapping_growth;
  // A window of exactly `size` bytes (proposed: spec.window) has one possible start, its own:
  // every other candidate either starts below min or ends above max.
  std::vector<z3::expr> xs{p.windowed ? min : w.target.s};
  if (!ignore_children && !p.windowed)
    for (const auto& k : kids) xs.push_back(k.e + c.int_val(1));
  z3::expr found = F;
  z3::expr best = c.int_val(0);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    z3::expr lo = z3::ite(xs[i] < min, min, xs[i]);
    auto fit = spec::fit_in_gap(d, lo, top, size, align);
    z3::expr ok = fit.fits;
    if (p.windowed) ok = ok && fit.start >= w.target.s;
    if (i > 0) ok = ok && kid_on[i - 1];  // a candidate after a child that exists
    if (!ignore_children)
      for (std::size_t j = 0; j < kids.size(); ++j)
        ok = ok && !(kid_on[j] && spec::overlaps(d, fit.start, fit.start + size - c.int_val(1), kids[j].s, kids[j].e));
    z3::expr take = ok && (!found || fit.start < best);
    best = z3::ite(take, fit.start, best);
    found = found || ok;
  }
  z3::expr start = p.windowed ? best : d.int_var(tag + "_s");
  z3::expr tree_e = start + size - c.int_val(1);
  z3::expr end = p.mutant == Mutant::range_end_off_by_one ? tree_e + c.int_val(1) : tree_e;

  // Steps of Kernel::grow, each a guard over the ones before.
  z3::expr at_alloc = active && !is(f_kz_res);
  z3::expr placed = at_alloc && !is(f_alloc_res) && found;
  z3::expr mirror_conflict = !spec::contains(d, w.iomem_span.s, w.iomem_span.e, start, end) ||
                             hits_any(d, start, end, w.iomem_children);
  for (const Slot& s : prior) mirror_conflict = mirror_conflict || (s.mirrored && spec::overlaps(d, start, end, s.s, s.e));
  z3::expr at_tmp = w.arm ? placed : F;
  z3::expr tmp_ok = w.arm ? (at_tmp && !is(f_kz_tmp)) : F;
  z3::expr mirrored = w.arm ? (tmp_ok && !is(f_req_res) && !mirror_conflict) : F;
  z3::expr oops = (p.tmp_res_slip && w.arm) ? (at_tmp && is(f_kz_tmp)) : F;
  z3::expr past_mirror = w.arm ? mirrored : placed;
  z3::expr at_remap = past_mirror && !is(f_kz_pgmap);
  z3::expr pgmap_conflict = F;
  for (const Slot& s : prior)
    pgmap_conflict = pgmap_conflict || (s.mapped && (spec::contains(d, s.s, s.e, start, start) ||
                                                     spec::contains(d, s.s, s.e, end, end)));
  z3::expr ram_conflict = hits_any(d, start, end, w.ram);
  z3::expr out_of_plug = !spec::contains(d, w.plug.s, w.plug.e, start, end);
  z3::expr mapped = at_remap && !is(f_memremap) && !pgmap_conflict && !ram_conflict && !out_of_plug;
  z3::expr ok = mapped && (p.gen_pool_add ? !is(f_gp_add) : T);

  z3::expr enomem = neg(c, err::enomem), ebusy = neg(c, err::ebusy);
  z3::expr ret = z3::ite(
      !active, c.int_val(0),
      z3::ite(is(f_kz_res), enomem,
              z3::ite(!placed, ebusy,
                      z3::ite(w.arm && !tmp_ok, enomem,
                              z3::ite(w.arm && !mirrored, ebusy,
                                      z3::ite(!at_remap, enomem,
                                              z3::ite(is(f_memremap) || pgmap_conflict, enomem,
                                                      z3::ite(ram_conflict, neg(c, err::enxio),
                                                              z3::ite(out_of_plug, neg(c, err::einval),
                                                                      z3::ite(ok, c.int_val(0), enomem))))))))));
  const bool keep = p.mutant == Mutant::no_rollback;
  Slot slot{keep ? placed && !oops : ok,
            keep ? mirrored : (ok && mirrored),
            ok,
            ok,
            start,
            end,
            tree_e,
            c.int_val(p.pool)};
  // The start is the first fit when placed (otherwise unconstrained and unused).
  if (!p.windowed) d.add_def(z3::implies(placed, start == best));
  z3::expr fired = active && fault != c.int_val(f_none) &&
                   ((is(f_kz_res)) || (at_alloc && is(f_alloc_res)) || (at_tmp && (is(f_kz_tmp))) ||
                    (tmp_ok && is(f_req_res)) || (past_mirror && is(f_kz_pgmap)) || (at_remap && is(f_memremap)) ||
                    (p.gen_pool_add && mapped && is(f_gp_add)));
  return GrowOut{ok, ret, oops, slot, fired};
}

}  // namespace unpop::solver
