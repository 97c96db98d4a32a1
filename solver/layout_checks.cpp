#include "solver/layout_checks.h"

#include <fmt/format.h>

#include "model/linux/kernel.h"
#include "model/linux/sections.h"
#include "model/spec/alloc_spec.h"
#include "solver/check.h"
#include "solver/grow.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

namespace {
using z3::expr;

std::uint64_t val(const z3::model& m, const expr& e) { return as_u64(m.eval(e, true)); }

QueryResult base(const std::string& group, const std::string& rule, const std::string& op) {
  QueryResult q;
  q.group = group;
  q.rule = rule;
  q.op = op;
  return q;
}

}  // namespace

namespace {

expr lit(z3::context& c, std::uint64_t v) { return c.int_val(static_cast<uint64_t>(v)); }
expr in(const expr& a, const Range& r) { return lit(a.ctx(), r.start) <= a && a <= lit(a.ctx(), r.end); }

// region-overlap: one query per region against every other region, RAM and device.
QueryResult region_overlap(z3::context& c, const Layout& l, const std::string& name, const Limits& lim) {
  std::vector<std::pair<Range, std::string>> others;
  for (const auto& r : l.ram) others.push_back({r.range, "RAM " + r.name});
  for (const auto& r : l.devices()) others.push_back({r.range, r.name});
  QueryResult q = base("layout", "region-overlap", name);
  q.verdict = Verdict::proved;
  const std::string all_disjoint = fmt::format(
      "{} regions disjoint from each other, RAM, reserved memory, MMIO and the grant table", l.ext_regions.size());
  q.detail = all_disjoint;
  for (std::size_t i = 0; i < l.ext_regions.size() && q.verdict == Verdict::proved; ++i) {
    z3::solver s(c);
    expr a = c.int_const("a");
    expr hit = c.bool_val(false);
    std::vector<std::pair<Range, std::string>> cand = others;
    for (std::size_t j = 0; j < l.ext_regions.size(); ++j)
      if (j != i) cand.push_back({l.ext_regions[j], fmt::format("extended region {}", j)});
    for (const auto& [r, n] : cand) hit = hit || in(a, r);
    prove(s, in(a, l.ext_regions[i]) && hit, Scope::for_good, lim, q, all_disjoint, [&](const z3::model& m) {
      std::uint64_t at = val(m, a);
      std::string who;
      for (const auto& [r, n] : cand)
        if (r.contains(at)) who = n;
      q.detail = fmt::format("extended region {} {} and {} share address {:#x}", i, to_string(l.ext_regions[i]), who, at);
    });
  }
  q.expected_ok = q.verdict == Verdict::proved;
  return q;
}

// region-mismatch: Linux's holes (the model's arm_init) are exactly the gaps between regions.
QueryResult region_mismatch(z3::context& c, const Layout& l, const std::string& name, const Limits& lim) {
  QueryResult q = base("layout", "region-mismatch", name);
  Geometry g;
  Geometry::make(l.arch, l.default_page_size, g);
  Kernel k(l, g, Mutant::none, nullptr);
  int ret = k.arm_init();
  if (ret != 0) {
    q.verdict = Verdict::refuted;
    q.detail = fmt::format("Linux rejects the regions (arch init returns {}): unsorted or overlapping", ret);
  } else {
    std::vector<Range> holes;
    for (ResId id : k.tree().children(k.target())) holes.push_back(k.tree().get(id).range);
    Range span = k.tree().get(k.target()).range;
    z3::solver s(c);
    expr a = c.int_const("a");
    expr in_reg = c.bool_val(false), in_hole = c.bool_val(false);
    for (const auto& r : l.ext_regions) in_reg = in_reg || in(a, r);
    for (const auto& h : holes) in_hole = in_hole || in(a, h);
    // Inside the span every address is in exactly one of: a region, a hole.
    prove(s, in(a, span) && (in_reg == in_hole), Scope::for_good, lim, q,
          fmt::format("{} holes are exactly the gaps of xen_resource {}", holes.size(), to_string(span)),
          [&](const z3::model& m) {
            q.detail = fmt::format("address {:#x} is in both a region and a hole, or in neither", val(m, a));
          });
  }
  q.expected_ok = q.verdict == Verdict::proved;
  return q;
}

// region-usable, region i at one page size: the lowest whole section (start = k * section) inside
// the region and the pluggable range. A witness, not a negation: sat proves the region usable.
// The model's region_usability must agree.
QueryResult region_usable(z3::context& c, const Layout& l, std::size_t i, const Geometry& g,
                          const std::vector<RegionUse>& uses, const Limits& lim) {
  const std::uint64_t sec = g.section_size();
  const Range plug = pluggable_range(l, g);
  const Range& r = l.ext_regions[i];
  QueryResult q = base("layout", "region-usable", fmt::format("region {} @{}", i, g.page_size_name()));
  z3::optimize s(c);
  expr kk = c.int_const("k");
  expr st = kk * lit(c, sec);
  s.add(st >= lit(c, std::max(r.start, plug.start)) && st + lit(c, sec - 1) <= lit(c, std::min(r.end, plug.end)));
  s.minimize(kk);
  const Answer a = check(s, lim);
  account(q, a);
  bool model_says = i < uses.size() && uses[i].usable.has_value();
  if (a.result == z3::sat) {
    std::uint64_t w = val(s.get_model(), st);
    q.verdict = Verdict::proved;
    q.detail = fmt::format("{}: first whole section {} (k={})", to_string(r), to_string(Range{w, w + sec - 1}), w / sec);
    if (!model_says || uses[i].usable->start != w) q.detail += " -- DISAGREES with the model's region_usability";
    q.expected_ok = model_says;
  } else if (a.result == z3::unsat) {
    q.verdict = Verdict::refuted;
    q.detail = fmt::format("{}: never usable at {} pages: {}", to_string(r), g.page_size_name(),
                           i < uses.size() ? uses[i].why : "");
    q.expected_ok = !model_says;
  } else {
    q.expected_ok = false;
  }
  return q;
}

}  // namespace

// One context for the layout's queries (each on a solver of its own).
std::vector<QueryResult> layout_checks(const Layout& l, const std::string& name,
                                       const std::vector<std::uint64_t>& page_sizes, const Limits& lim) {
  std::vector<QueryResult> out;
  z3::context c;
  out.push_back(region_overlap(c, l, name, lim));
  if (!l.ext_regions.empty() && l.arch == Arch::arm64) out.push_back(region_mismatch(c, l, name, lim));
  for (std::uint64_t ps : page_sizes) {
    Geometry g;
    if (!Geometry::make(l.arch, ps, g)) continue;
    auto uses = region_usability(l, g);
    for (std::size_t i = 0; i < l.ext_regions.size(); ++i) out.push_back(region_usable(c, l, i, g, uses, lim));
  }
  return out;
}

namespace {

// Every layout Xen can emit, as unknowns constrained in `s`: two regions as add_ext_regions()
// emits them, one RAM bank, one MMIO range and the grant table, Linux's hole and the pluggable
// range as the model derives them.
struct XenWorld {
  World w;
  expr r0s, r0e, r1s, r1e, ram_s, ram_e, io_s, io_e, gt_s, gt_e;
};

XenWorld xen_world(Z3Domain& d, z3::solver& s, const Geometry& g, Mutant m) {
  z3::context& c = d.ctx();
  const std::uint64_t two = 2 << 20;
  auto lit = [&](std::uint64_t v) { return c.int_val(static_cast<uint64_t>(v)); };
  auto var = [&](const char* n) { return c.int_const(n); };
  // Two regions as Xen's add_ext_regions() emits them.
  expr a0 = var("a0"), b0 = var("b0"), a1 = var("a1"), b1 = var("b1");
  expr r0s = a0 * lit(two), r0e = r0s + b0 * lit(two) - 1, r1s = a1 * lit(two), r1e = r1s + b1 * lit(two) - 1;
  // Sorted, disjoint and not adjacent: Xen's regions are the maximal free ranges of a rangeset,
  // so two of them never touch (Linux would merge touching ones into one hole-less span).
  s.add(a0 >= 0 && a1 >= 0 && b0 >= 32 && b1 >= 32 && r0e + 1 < r1s && r1e < lit(std::uint64_t{1} << 44));
  // One RAM bank, one MMIO range, the grant table: all disjoint from both regions.
  expr ram_s = var("ram_s"), ram_e = var("ram_e"), io_s = var("io_s"), io_e = var("io_e"), gt_s = var("gt_s"),
       gt_e = var("gt_e");
  auto ordinary = [&](const expr& x, const expr& y) {
    return x <= y && x >= 0 && y < lit(std::uint64_t{1} << 44) && d.floor_div(x, 4096) * 4096 == x &&
           d.floor_div(y + 1, 4096) * 4096 == y + 1;
  };
  s.add(ordinary(ram_s, ram_e) && ordinary(io_s, io_e) && ordinary(gt_s, gt_e));
  for (auto [xs, xe] : {std::pair{ram_s, ram_e}, std::pair{io_s, io_e}, std::pair{gt_s, gt_e}}) {
    s.add(!spec::overlaps(d, xs, xe, r0s, r0e) && !spec::overlaps(d, xs, xe, r1s, r1e));
  }
  s.add(!spec::overlaps(d, ram_s, ram_e, io_s, io_e) && !spec::overlaps(d, ram_s, ram_e, gt_s, gt_e) &&
        !spec::overlaps(d, io_s, io_e, gt_s, gt_e));
  // Linux: xen_resource = hull, one "Unavailable space" hole if the regions are not adjacent.
  World w{true, true, {r0s, r0e}, {}, {}, {lit(0), lit((std::uint64_t{1} << 48) - 1)}, {{ram_s, ram_e}},
          {{io_s, io_e}, {gt_s, gt_e}}, {{r0s, r0e}, {r1s, r1e}}, {lit(0), lit(0)}};
  w.target = {r0s, r1e};
  expr has_hole = r0e + 1 < r1s;
  if (m != Mutant::no_holes) {
    // A hole that does not exist is an empty range nobody can overlap.
    w.target_children.push_back({z3::ite(has_hole, r0e + 1, r1e + 1), z3::ite(has_hole, r1s - 1, r1e)});
  }
  // iomem's top level: System RAM and the MMIO range (the grant table is not an iomem resource).
  w.iomem_children = {{ram_s, ram_e}, {io_s, io_e}};
  // The pluggable range as the model derives it: the linear map from memstart (VA_BITS 48).
  unsigned shift = std::max(g.page_shift == 16 ? 29u : 30u, g.section_size_bits);
  expr memstart = spec::align_down(d, ram_s, std::uint64_t{1} << shift);
  w.plug = {memstart, z3::ite(memstart + lit((std::uint64_t{1} << 47) - 1) < lit((std::uint64_t{1} << 48) - 1),
                              memstart + lit((std::uint64_t{1} << 47) - 1), lit((std::uint64_t{1} << 48) - 1))};
  return {w, r0s, r0e, r1s, r1e, ram_s, ram_e, io_s, io_e, gt_s, gt_e};
}

// The replayable Case of a universal first-growth counterexample: Z3's layout and `alloc N`.
Case first_growth_case(const z3::model& mdl, const XenWorld& xw, const expr& nr, std::uint64_t page_size, Mutant m,
                       const std::string& rule) {
  Layout l;
  l.name = "solver-universal";
  l.source = "solver counterexample";
  l.arch = Arch::arm64;
  l.pa_bits = 48;
  l.va_bits = 48;
  l.default_page_size = page_size;
  l.ram = {{{val(mdl, xw.ram_s), val(mdl, xw.ram_e)}, "System RAM"}};
  l.mmio = {{{val(mdl, xw.io_s), val(mdl, xw.io_e)}, "mmio"}};
  l.grant_table = Range{val(mdl, xw.gt_s), val(mdl, xw.gt_e)};
  l.hypervisor_node = true;
  l.ext_regions = {{val(mdl, xw.r0s), val(mdl, xw.r0e)}, {val(mdl, xw.r1s), val(mdl, xw.r1e)}};
  Case cs;
  cs.layout = l;
  cs.variant = default_variant();  // mainline's fill_list
  cs.page_size = page_size;
  cs.mutant = m;
  cs.origin = "prove";
  cs.rule = rule;
  Op op;
  op.kind = Op::Kind::alloc;
  op.nr = val(mdl, nr);
  cs.ops = {op};
  return cs;
}

}  // namespace

std::vector<QueryResult> universal_checks(std::uint64_t page_size, Mutant m, const Limits& lim, bool replay) {
  std::vector<QueryResult> out;
  Geometry g;
  Geometry::make(Arch::arm64, page_size, g);
  for (const char* rule : {"ram-overlap", "device-overlap", "outside-ext-region", "growth-misaligned"}) {
    z3::context c;
    Z3Domain d(c);
    auto lit = [&](std::uint64_t v) { return c.int_val(static_cast<uint64_t>(v)); };
    z3::solver s(c);
    XenWorld xw = xen_world(d, s, g, m);
    const World& w = xw.w;
    // The first fill_list(nr) of an empty pool.
    expr nr = c.int_const("nr");
    s.add(nr >= 1 && nr <= lit(4 * g.pages_per_section()));
    GrowParams gp{&w, g, m, false, false, 0, false};
    GrowOut go = encode_grow(d, gp, c.bool_val(true), spec::fill_pages(d, nr, g.pages_per_section()), lit(f_none), {}, "u");
    expr broken = go.ok && placement_broken(d, w, rule, go.slot.s, go.slot.e, g.section_size());
    QueryResult q = base("universal", rule, fmt::format("first growth @{}", g.page_size_name()));
    q.mutant = to_string(m);
    prove(s, with_defs(broken, d), Scope::for_good, lim, q,
          "every layout Xen can emit (2 regions, RAM, MMIO, grant table): the growth fill_list() makes holds it",
          [&](const z3::model& mdl) {
            q.cex = first_growth_case(mdl, xw, nr, page_size, m, rule);
            q.depth = 1;
            const Layout& l = q.cex->layout;
            q.detail = fmt::format("regions {} {}, RAM {}, growth {}", to_string(l.ext_regions[0]),
                                   to_string(l.ext_regions[1]), to_string(l.ram[0].range),
                                   to_string(Range{val(mdl, go.slot.s), val(mdl, go.slot.e)}));
          });
    if (q.cex && replay) {
      std::string note;
      q.replayed = replay_shows(*q.cex, rule, &note);
      q.replay_note = note;
    }
    q.expected_ok = m == Mutant::none ? q.verdict == Verdict::proved : q.verdict != Verdict::unknown;
    out.push_back(q);
  }
  return out;
}

std::vector<QueryResult> universal_later_growth(std::uint64_t page_size, Mutant m, const Limits& lim) {
  std::vector<QueryResult> out;
  Geometry g;
  Geometry::make(Arch::arm64, page_size, g);
  const std::uint64_t sec = g.section_size();
  // inv-preserved holds the new growth's disjointness from the earlier ones (bytes: the same as
  // pages for whole sections, which it also asserts); growth-overlap on pages as the checker
  // counts them (floor_div) takes 5-28 s here and is asked on each concrete layout instead.
  for (const char* rule : {"ram-overlap", "device-overlap", "outside-ext-region", "growth-misaligned", "inv-preserved"}) {
    z3::context c;
    Z3Domain d(c);
    z3::solver s(c);
    // The older arithmetic solver: growth-misaligned takes 0.06 s with it, 12 s with the default.
    s.set("arith.solver", 2u);
    XenWorld xw = xen_world(d, s, g, m);
    const World& w = xw.w;
    // Two earlier growths satisfying the growth part of Inv on that layout (or rolled back).
    std::vector<Slot> prior = assume_inv_growths(d, s, w, true, sec, [&](int) { return c.int_val(0); });
    // The next fill_list(nr): any request up to four sections, any fault.
    expr nr = c.int_const("nr"), fault = c.int_const("fault");
    s.add(nr >= 1 && nr <= c.int_val(static_cast<uint64_t>(4 * g.pages_per_section())) && fault >= 0 && fault < f_count);
    GrowParams gp{&w, g, m, false, false, 0, false};
    GrowOut go = encode_grow(d, gp, c.bool_val(true), spec::fill_pages(d, nr, g.pages_per_section()), fault, prior, "n");
    expr broken = growth_step_broken(d, w, rule, go, prior, true, sec, g.page_size());
    QueryResult q = base("universal", rule, fmt::format("later growth @{}", g.page_size_name()));
    q.mutant = to_string(m);
    prove(s, with_defs(broken, d), Scope::for_good, lim, q,
          "every layout Xen can emit, any two earlier growths satisfying Inv: the next fill_list() holds it",
          [&](const z3::model& mdl) {
            q.detail = fmt::format("counterexample to induction: regions {} {}; {}",
                                   to_string(Range{val(mdl, xw.r0s), val(mdl, xw.r0e)}),
                                   to_string(Range{val(mdl, xw.r1s), val(mdl, xw.r1e)}),
                                   growth_cti(mdl, prior, nr, fault, go));
          });
    q.expected_ok = m == Mutant::none ? q.verdict == Verdict::proved : q.verdict != Verdict::unknown;
    out.push_back(q);
  }
  return out;
}

std::vector<QueryResult> never_usable(const Limits& lim) {
  std::vector<QueryResult> out;
  for (std::uint64_t ps : {4096ull, 16384ull, 65536ull}) {
    Geometry g;
    Geometry::make(Arch::arm64, ps, g);
    z3::context c;
    Z3Domain d(c);
    auto lit = [&](std::uint64_t v) { return c.int_val(static_cast<uint64_t>(v)); };
    z3::optimize s(c);
    expr a = c.int_const("a"), b = c.int_const("b");
    const std::uint64_t two = 2 << 20;
    expr rs = a * lit(two), re = rs + b * lit(two) - 1;
    s.add(a >= 0 && b >= 32 && re < lit(std::uint64_t{1} << 44));
    auto win = spec::section_window(d, rs, re, g.section_size());
    s.add(!win.usable);
    s.maximize(b);
    for (const auto& def : d.defs()) s.add(def);
    QueryResult q = base("universal", "region-usable", fmt::format("largest never-usable region @{}", g.page_size_name()));
    // A witness (the largest such region), not a negation: sat is the answer.
    const Answer ans = check(s, lim);
    account(q, ans);
    if (ans.result == z3::sat) {
      auto m = s.get_model();
      std::uint64_t size = as_u64(m.eval(b, true)) * two, start = as_u64(m.eval(rs, true));
      q.verdict = Verdict::refuted;
      q.detail = fmt::format("a Xen region of {} MiB (e.g. {}) holds no whole {} MiB section; every region of {} MiB or "
                             "more holds one",
                             size >> 20, to_string(Range::from_size(start, size)), g.section_size() >> 20,
                             (size + two) >> 20);
      q.expected_ok = true;
    } else {
      q.verdict = Verdict::unknown;
      if (ans.result == z3::unsat) q.detail = "solver: no such region";
      q.expected_ok = false;
    }
    out.push_back(q);
  }
  return out;
}

std::vector<QueryResult> wrap_checks(const Limits& lim) {
  std::vector<QueryResult> out;
  z3::context c;
  z3::solver s(c);
  // allocate_resource's fit test in 64-bit unsigned arithmetic, as the kernel (and the spec's
  // U64 instantiation) computes it: start = ALIGN(gap_s, align); fits iff start >= gap_s
  // (overflow check), start <= gap_e and gap_e - start >= size - 1.
  expr gs = c.bv_const("gap_s", 64), ge = c.bv_const("gap_e", 64), size = c.bv_const("size", 64);
  expr sh = c.bv_const("align_shift", 64);
  expr one = c.bv_val(1, 64);
  expr align = z3::shl(one, sh);
  s.add(z3::ult(sh, c.bv_val(40, 64)) && z3::ule(gs, ge) && size != c.bv_val(0, 64));
  expr start = (gs + align - one) & ~(align - one);
  expr fits = z3::uge(start, gs) && z3::ule(start, ge) && z3::uge(ge - start, size - one);
  // The range end start + size - 1 wraps iff it is below start in 64 bits.
  expr end = start + size - one;
  QueryResult q = base("wrap", "range-wrap", "allocate_resource (64-bit)");
  prove(s, fits && z3::ult(end, start), Scope::for_good, lim, q,
        "no accepted range wraps past 2^64-1 (start + size - 1 stays >= start), for every gap and alignment",
        [&](const z3::model& m) {
          q.detail = fmt::format("gap_s={} size={}", m.eval(gs).to_string(), m.eval(size).to_string());
        });
  q.expected_ok = q.verdict == Verdict::proved;
  out.push_back(q);
  // The same arithmetic with the range-end-off-by-one mutant: end = start + size can wrap to 0.
  {
    z3::solver s2(c);
    s2.add(z3::ult(sh, c.bv_val(40, 64)) && z3::ule(gs, ge) && size != c.bv_val(0, 64));
    QueryResult q2 = base("wrap", "range-wrap", "range-end-off-by-one (64-bit)");
    q2.mutant = "range-end-off-by-one";
    prove(s2, fits && z3::ult(start + size, start), Scope::for_good, lim, q2, "", [&](const z3::model& m) {
      q2.detail = fmt::format("a growth ending at 2^64-1 (gap_e={}, size={}) gets end = start + size = 0: it wraps",
                              m.eval(ge).to_string(), m.eval(size).to_string());
    });
    q2.expected_ok = q2.verdict == Verdict::refuted;
    out.push_back(q2);
  }
  return out;
}

}  // namespace unpop::solver
