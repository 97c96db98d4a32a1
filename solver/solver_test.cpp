// Unit tests of the encodings on small hand-written layouts with known answers, and the
// promise that every counterexample Z3 returns replays in the model with the same rule.
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "model/layout/loaders.h"
#include "model/linux/sections.h"
#include "model/spec/alloc_spec.h"
#include "solver/bmc.h"
#include "solver/check.h"
#include "solver/grow.h"
#include "solver/inductive.h"
#include "solver/layout_checks.h"
#include "solver/page_runs.h"
#include "solver/prove.h"
#include "solver/z3_domain.h"

namespace unpop::solver {
namespace {

// Every check of these tests runs within the default budget (Limits{}), which decides its
// verdict whatever the machine's speed or load. At the end of the run the budget must still
// be at least 4x the most any answered check took (docs/solver.md, "Resource budgets"): a
// change that makes a check need more fails here, not as an `unknown` somewhere later.
class BudgetMargin : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("[ solver   ] largest check: %llu Z3 resource units (budget %u)\n",
                static_cast<unsigned long long>(largest_need()), kDefaultRlimit);
    EXPECT_LE(largest_need() * 4, std::uint64_t{kDefaultRlimit});
  }
};
const auto* const budget_margin = ::testing::AddGlobalTestEnvironment(new BudgetMargin);

// The Z3 instantiation of the spec agrees with the uint64_t one (the model's) on constants,
// and its quotient shortcuts are exact on symbolic multiples.
TEST(Z3Domain, SpecAgreesWithModelArithmetic) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300; ++i) {
    z3::context c;
    Z3Domain d(c);
    std::uint64_t m = std::uint64_t{1} << (rng() % 28);
    std::uint64_t x = rng() % (std::uint64_t{1} << 46);
    z3::expr xv = c.int_const("x");
    z3::solver s(c);
    z3::expr up = spec::align_up(d, xv, m), down = spec::align_down(d, xv, m);
    z3::expr al = spec::is_aligned(d, xv, m);
    for (const auto& def : d.defs()) s.add(def);
    s.add(xv == c.int_val(static_cast<uint64_t>(x)));
    ASSERT_EQ(check(s, Limits{}).result, z3::sat);
    auto mdl = s.get_model();
    EXPECT_EQ(as_u64(mdl.eval(up, true)), spec::align_up(spec::U64{}, x, m));
    EXPECT_EQ(as_u64(mdl.eval(down, true)), spec::align_down(spec::U64{}, x, m));
    EXPECT_EQ(mdl.eval(al, true).is_true(), spec::is_aligned(spec::U64{}, x, m));
  }
  // k * section is aligned for every k, with no unknown quotient introduced.
  z3::context c;
  Z3Domain d(c);
  z3::expr k = c.int_const("k");
  z3::expr start = d.mul(k, 1 << 27);
  z3::solver s(c);
  s.add(!spec::is_aligned(d, start, 1 << 27) || !spec::is_aligned(d, start, 4096));
  for (const auto& def : d.defs()) s.add(def);
  EXPECT_EQ(check(s, Limits{}).result, z3::unsat);
  EXPECT_EQ(d.ndefs(), 0u);
}

Layout small(std::vector<Range> regions) {
  Layout l = tiny_layout("test");
  l.ext_regions = std::move(regions);
  return l;
}

QueryResult find(const std::vector<QueryResult>& rs, const std::string& rule, const std::string& op = "") {
  for (const auto& r : rs)
    if (r.rule == rule && (op.empty() || r.op == op)) return r;
  ADD_FAILURE() << "no result for " << rule << " " << op;
  return {};
}

TEST(LayoutChecks, KnownAnswersOnHandWrittenLayouts) {
  // Two one-section regions: disjoint, holes exact, each usable at 4K at its start.
  auto ok = layout_checks(small({{0x80000000, 0x87ffffff}, {0x90000000, 0x97ffffff}}), "t", {4096, 65536}, Limits{});
  EXPECT_EQ(find(ok, "region-overlap").verdict, Verdict::proved);
  EXPECT_EQ(find(ok, "region-mismatch").verdict, Verdict::proved);
  auto r0 = find(ok, "region-usable", "region 0 @4K");
  EXPECT_EQ(r0.verdict, Verdict::proved);
  EXPECT_NE(r0.detail.find("0x80000000-0x87ffffff"), std::string::npos) << r0.detail;
  // At 64K the section is 512 MiB: a 128 MiB region never holds one.
  EXPECT_EQ(find(ok, "region-usable", "region 0 @64K").verdict, Verdict::refuted);
  // A region overlapping RAM (0x40000000-0x7fffffff) is refuted with the shared address.
  auto bad = layout_checks(small({{0x7c000000, 0x87ffffff}}), "t", {4096}, Limits{});
  auto ov = find(bad, "region-overlap");
  EXPECT_EQ(ov.verdict, Verdict::refuted);
  EXPECT_NE(ov.detail.find("RAM"), std::string::npos) << ov.detail;
  // A 130 MiB region 2 MiB past a section boundary holds no whole section.
  auto odd = layout_checks(small({{0x80200000, 0x885fffff}}), "t", {4096}, Limits{});
  EXPECT_EQ(find(odd, "region-usable", "region 0 @4K").verdict, Verdict::refuted);
  // Unsorted regions: Linux rejects them (-EINVAL), so the holes cannot match.
  auto uns = layout_checks(small({{0x90000000, 0x97ffffff}, {0x80000000, 0x87ffffff}}), "t", {4096}, Limits{});
  EXPECT_EQ(find(uns, "region-mismatch").verdict, Verdict::refuted);
}

TEST(LayoutChecks, UniversalAndWrap) {
  for (const auto& q : universal_checks(4096, Mutant::none, Limits{}, true))
    EXPECT_EQ(q.verdict, Verdict::proved) << q.rule << ": " << q.detail;
  auto nu = never_usable(Limits{});
  ASSERT_EQ(nu.size(), 3u);
  EXPECT_NE(nu[0].detail.find("252 MiB"), std::string::npos) << nu[0].detail;
  EXPECT_NE(nu[2].detail.find("1020 MiB"), std::string::npos) << nu[2].detail;
  auto w = wrap_checks(Limits{});
  EXPECT_EQ(w[0].verdict, Verdict::proved);
  EXPECT_EQ(w[1].verdict, Verdict::refuted);
  // Under no-holes a growth can be placed in the gap between regions: replayed in the model.
  bool refuted = false;
  for (const auto& q : universal_checks(4096, Mutant::no_holes, Limits{}, true))
    if (q.verdict == Verdict::refuted) {
      refuted = true;
      ASSERT_TRUE(q.replayed.has_value());
      EXPECT_TRUE(*q.replayed) << q.rule << ": " << q.replay_note;
    }
  EXPECT_TRUE(refuted);
}

// Later growths for every layout Xen can emit: proved from any two earlier growths satisfying
// Inv; each placement mutant gives a counterexample to induction.
TEST(LayoutChecks, UniversalLaterGrowth) {
  auto verdict = [](const std::vector<QueryResult>& qs, const std::string& rule) {
    for (const auto& q : qs)
      if (q.rule == rule) return q.verdict;
    return Verdict::unknown;
  };
  for (auto ps : {4096ull, 65536ull})
    for (const auto& q : universal_later_growth(ps, Mutant::none, Limits{}))
      EXPECT_EQ(q.verdict, Verdict::proved) << q.rule << ": " << q.detail;
  EXPECT_EQ(verdict(universal_later_growth(4096, Mutant::overlapping_growth, Limits{}), "device-overlap"), Verdict::refuted);
  EXPECT_EQ(verdict(universal_later_growth(4096, Mutant::no_section_align, Limits{}), "growth-misaligned"), Verdict::refuted);
  EXPECT_EQ(verdict(universal_later_growth(65536, Mutant::no_holes, Limits{}), "outside-ext-region"), Verdict::refuted);
  EXPECT_EQ(verdict(universal_later_growth(4096, Mutant::overlapping_growth, Limits{}), "inv-preserved"), Verdict::refuted);
  EXPECT_EQ(verdict(universal_later_growth(4096, Mutant::no_rollback, Limits{}), "inv-preserved"), Verdict::refuted);
}

Case tiny_case(const std::string& variant, Mutant m = Mutant::none) {
  Case c;
  c.layout = tiny_layout("solver-tiny");
  c.variant = variant;
  c.page_size = 4096;
  c.mutant = m;
  return c;
}

// A contiguous request that only a window joining free chunk pages to the adjacent free
// section can hold: one extended region of exactly two sections, the first a V1 chunk with one
// page held. V1's genpool cannot span chunks and fill_pool needs two free sections, so the DMA
// request falls back to CMA RAM (ram-stolen); counting runs of free sections only, the encoding
// missed this. proposed grows the window over both and holds the rule.
TEST(Bmc, DmaLivenessJoinsFreePoolPagesAndSections) {
  auto run = [](const std::string& variant, const char* rule) {
    BmcConfig cfg;
    cfg.base = tiny_case(variant);
    cfg.base.layout.ext_regions = {{0x80000000, 0x8fffffff}};
    cfg.depth = 2;
    cfg.max_nr = 2 * 32768;
    return Bmc(cfg).query(rule);
  };
  auto v1 = run("v1", "ram-stolen");
  ASSERT_EQ(v1.verdict, Verdict::refuted) << v1.detail;
  EXPECT_EQ(v1.depth, 2);
  EXPECT_TRUE(v1.replayed && *v1.replayed) << v1.replay_note;
  EXPECT_EQ(run("proposed", "spurious-enomem").verdict, Verdict::proved);
  EXPECT_EQ(run("proposed", "ram-stolen").verdict, Verdict::proved);
}

TEST(Bmc, TinyLayoutFindingsReplay) {
  // Upstream: a two-section growth cannot be placed in two one-section regions.
  {
    BmcConfig cfg;
    cfg.base = tiny_case("upstream");
    cfg.depth = 2;
    Bmc b(cfg);
    auto q = b.query("spurious-enomem");
    ASSERT_EQ(q.verdict, Verdict::refuted) << q.detail;
    ASSERT_TRUE(q.replayed.has_value());
    EXPECT_TRUE(*q.replayed) << q.replay_note;
    EXPECT_EQ(b.query("growth-misaligned").verdict, Verdict::proved);
    EXPECT_EQ(b.query("ram-overlap").verdict, Verdict::proved);
  }
  // RFC: the `if (!res)` slip after kzalloc(tmp_res) oopses.
  {
    BmcConfig cfg;
    cfg.base = tiny_case("rfc");
    cfg.depth = 1;
    Bmc b(cfg);
    auto q = b.query("kernel-bug", k_dma_alloc);
    ASSERT_EQ(q.verdict, Verdict::refuted);
    EXPECT_TRUE(q.replayed && *q.replayed) << q.replay_note;
    EXPECT_EQ(b.query("kernel-bug", k_alloc).verdict, Verdict::proved);
  }
}

TEST(Bmc, RfcRaceIsShortestAndReplays) {
  BmcConfig cfg;
  cfg.base = tiny_case("rfc");
  cfg.two_callers = true;
  cfg.depth = 4;
  Bmc b(cfg);
  auto q = b.query("spurious-enomem");
  ASSERT_EQ(q.verdict, Verdict::refuted) << q.detail;
  EXPECT_EQ(q.depth, 4);  // A fails, A fills, B takes the new chunk, A's retry fails
  ASSERT_TRUE(q.cex.has_value());
  EXPECT_EQ(q.cex->schedule.size(), 4u);
  EXPECT_TRUE(q.replayed && *q.replayed) << q.replay_note;
  EXPECT_EQ(b.query("double-alloc").verdict, Verdict::proved);
}

// A check the incremental solver does not finish within its first try moves to a fresh solver
// with the same assertions: the same answers, the counterexample taken from the solver that
// found it (cut to 1 resource unit here so the fresh solver answers every check).
TEST(Bmc, FreshSolverAnswersAfterTheFirstTry) {
  BmcConfig cfg;
  cfg.base = tiny_case("rfc");
  cfg.two_callers = true;
  cfg.depth = 4;
  cfg.limits.first_try = 1;
  Bmc b(cfg);
  auto q = b.query("spurious-enomem");
  ASSERT_EQ(q.verdict, Verdict::refuted) << q.detail;
  EXPECT_EQ(q.depth, 4);
  EXPECT_GT(q.moved, 0);
  EXPECT_NE(q.detail.find("fresh solver"), std::string::npos) << q.detail;
  EXPECT_TRUE(q.replayed && *q.replayed) << q.replay_note;
  auto p = b.query("double-alloc");
  EXPECT_EQ(p.verdict, Verdict::proved) << p.detail;
  EXPECT_NE(p.detail.find("fresh solver"), std::string::npos) << p.detail;
}

// proposed's run relations on hand-written runs with known answers (pfns; pps = 10).
TEST(PageRuns, KnownAnswers) {
  z3::context c;
  Z3Domain d(c);
  auto I = [&](int v) { return c.int_val(v); };
  auto run = [&](int s, int n) { return PageRun{I(s), I(n), c.bool_val(true)}; };
  auto eval = [&](const std::vector<z3::expr>& es) {
    z3::solver s(c);
    for (const auto& def : d.defs()) s.add(def);
    EXPECT_EQ(check(s, Limits{}).result, z3::sat);
    std::vector<std::int64_t> out;
    for (const auto& e : es) out.push_back(static_cast<std::int64_t>(as_u64(s.get_model().eval(e, true))));
    return out;
  };
  // Two adjacent growths [0,10) [10,20) with pages 5-6 live: free runs [0,5) and [7,20),
  // joined across the growths' border.
  std::vector<PageRun> pool{run(0, 10), run(10, 10)}, live{run(5, 2)};
  Member is_free = [&](const z3::expr& q) { return in_runs(c, pool, q) && !in_runs(c, live, q); };
  auto fr = maximal_runs(d, is_free, {I(0), I(10), I(7)}, {I(10), I(20), I(5)});
  std::vector<z3::expr> got;
  for (const auto& r : fr) {
    got.push_back(z3::ite(r.on, r.s, I(-1)));
    got.push_back(z3::ite(r.on, r.n, I(-1)));
  }
  z3::solver chk(c);
  for (const auto& def : d.defs()) chk.add(def);
  ASSERT_EQ(check(chk, Limits{}).result, z3::sat);
  auto m = chk.get_model();
  auto v = [&](const z3::expr& e) { return m.eval(e, true).get_numeral_int(); };
  EXPECT_EQ(v(got[0]), 0);  // [0,5)
  EXPECT_EQ(v(got[1]), 5);
  EXPECT_EQ(v(got[2]), -1);  // 10 is inside [7,20): not a run start
  EXPECT_EQ(v(got[4]), 7);  // [7,20)
  EXPECT_EQ(v(got[5]), 13);
  EXPECT_EQ(v(total_pages(c, fr)), 18);
  // Best fit: the shorter run that holds n, else the longer one.
  auto b4 = best_fit(d, fr, I(4)), b6 = best_fit(d, fr, I(6)), b20 = best_fit(d, fr, I(20));
  auto bf = eval({b4.start, b6.start, z3::ite(b20.found, I(1), I(0))});
  EXPECT_EQ(bf, (std::vector<std::int64_t>{0, 7, 0}));
  // Window search: free [0,5) [7,20), growable [20,50): 20 pages fit from 7 (7 new pages).
  std::vector<PageRun> free{run(0, 5), run(7, 13)}, grow{run(20, 30)}, comb{run(0, 5), run(7, 43)};
  auto w = cheapest_window(d, comb, free, grow, I(20));
  z3::expr ovf = c.bool_val(false);
  auto pieces = window_growths(d, grow, w.start, I(20), 10, 2, &ovf);
  auto wv = eval({w.start, w.cost, pieces[0].s, pieces[0].n, z3::ite(pieces[1].on, I(1), I(0)), z3::ite(ovf, I(1), I(0))});
  EXPECT_EQ(wv, (std::vector<std::int64_t>{7, 7, 20, 10, 0, 0}));  // one growth: the section [20,30)
  // Scattered take: no run holds 10 pages; smallest first: 3 from 7, 5 from 0, 2 from 12.
  std::vector<PageRun> frag{run(0, 5), run(7, 3), run(12, 8)};
  auto tk = scattered_take(d, frag, I(10), 3, &ovf);
  auto tv = eval({tk[0].s, tk[0].n, tk[1].s, tk[1].n, tk[2].s, tk[2].n, z3::ite(ovf, I(1), I(0))});
  EXPECT_EQ(tv, (std::vector<std::int64_t>{7, 3, 0, 5, 12, 2, 0}));
  // With room for only two runs the take is beyond the bound: flagged, not silently cut.
  scattered_take(d, frag, I(10), 2, &ovf);
  EXPECT_EQ(eval({z3::ite(ovf, I(1), I(0))})[0], 1);
}

Case proposed_case(const std::string& layout, Mutant m = Mutant::none) {
  Case c = tiny_case("proposed", m);
  if (layout == "qemu-virt-dom0") {
    c.preset = layout;
    c.layout = load_preset(layout);
  } else {
    c.layout = tiny_layout(layout);
  }
  return c;
}

// proposed's BMC: where upstream fails (two separate one-section regions) proposed serves,
// and the new relations can fail: mutants of its paths are refuted and replay.
TEST(Bmc, ProposedProvedAndItsMutantsCaught) {
  BmcConfig cfg;
  cfg.base = proposed_case("solver-tiny");
  cfg.depth = 2;
  Bmc b(cfg);
  for (const char* rule : {"spurious-enomem", "double-alloc", "not-in-pool", "count-mismatch", "growth-overlap"})
    EXPECT_EQ(b.query(rule).verdict, Verdict::proved) << rule;
  // dma-reverse: proposed's DMA pages come from range_pages too.
  BmcConfig rev = cfg;
  rev.base = proposed_case("solver-tiny", Mutant::dma_reverse);
  rev.depth = 1;
  auto q = Bmc(rev).query("not-contiguous");
  ASSERT_EQ(q.verdict, Verdict::refuted) << q.detail;
  EXPECT_TRUE(q.replayed && *q.replayed) << q.replay_note;
  // no-rollback: a failed growth keeps its section in the tree, so the only section of
  // solver-one-section is lost; the fault's `fail` op must hit the right growth to replay.
  BmcConfig lost = cfg;
  lost.base = proposed_case("solver-one-section", Mutant::no_rollback);
  auto l = Bmc(lost).query("spurious-enomem");
  ASSERT_EQ(l.verdict, Verdict::refuted) << l.detail;
  EXPECT_TRUE(l.replayed && *l.replayed) << l.replay_note;
  // range-end-off-by-one: the growth's last byte spills into the next section.
  BmcConfig off = cfg;
  off.base = proposed_case("solver-tiny", Mutant::range_end_off_by_one);
  off.depth = 1;
  auto o = Bmc(off).query("growth-misaligned");
  ASSERT_EQ(o.verdict, Verdict::refuted) << o.detail;
  EXPECT_TRUE(o.replayed && *o.replayed) << o.replay_note;
}

// Misbehaving callers: each caller rule is refuted where the misuse reaches the checker, and
// the counterexample replays; where it cannot be expressed the answer says so.
TEST(Bmc, CallerMisuseRulesReplay) {
  auto run = [](const std::string& variant, const std::string& rule, Mutant mut = Mutant::none) {
    BmcConfig cfg;
    cfg.base = tiny_case(variant);
    cfg.base.mutant = mut;
    cfg.misuse = true;
    cfg.depth = 3;
    cfg.max_nr = 32768;  // one section
    return Bmc(cfg).query(rule);
  };
  const std::vector<std::pair<const char*, const char*>> refuted = {
      {"upstream", "double-free"}, {"upstream", "unknown-free"}, {"upstream", "leak"},
      {"rfc", "mixed-free"},       {"rfc", "dma-free-mismatch"}, {"v1", "mixed-free"},
      {"proposed", "double-free"}, {"proposed", "dma-free-mismatch"}, {"proposed", "unknown-free"}};
  for (const auto& [v, rule] : refuted) {
    auto q = run(v, rule);
    ASSERT_EQ(q.verdict, Verdict::refuted) << v << " " << rule << ": " << q.detail;
    EXPECT_TRUE(q.replayed && *q.replayed) << v << " " << rule << ": " << q.replay_note;
  }
  // Upstream's DMA path is CMA RAM: no DMA range to free with the wrong size or path.
  EXPECT_EQ(run("upstream", "dma-free-mismatch").verdict, Verdict::proved);
  // Where genpool takes the free it BUG()s on a page it does not hold, so the checker never
  // sees a double free (V1) or pages past a DMA allocation (RFC, V1): proved, and the BUG()
  // itself is the refuted kernel-bug of the misuse queries.
  for (const auto& [v, rule] : std::vector<std::pair<const char*, const char*>>{
           {"v1", "double-free"}, {"v1", "unknown-free"}, {"rfc", "unknown-free"}})
    EXPECT_EQ(run(v, rule).verdict, Verdict::proved) << v << " " << rule;
  for (const char* v : {"rfc", "v1"}) {
    auto q = run(v, "kernel-bug");
    ASSERT_EQ(q.verdict, Verdict::refuted) << v << ": " << q.detail;
    EXPECT_TRUE(q.replayed && *q.replayed) << v << ": " << q.replay_note;
  }
  // The proof fails when the seeded bug takes genpool out of the RFC's DMA free (pages go to
  // page_list): the wrong-size free now reaches the checker, and the counterexample replays.
  auto seeded = run("rfc", "unknown-free", Mutant::dma_free_to_list);
  ASSERT_EQ(seeded.verdict, Verdict::refuted) << seeded.detail;
  EXPECT_TRUE(seeded.replayed && *seeded.replayed) << seeded.replay_note;
}

TEST(Inductive, GrowthPartOfInvIsInductive) {
  for (const char* v : {"upstream", "rfc", "v1", "proposed"}) {
    Case c;
    c.preset = "qemu-virt-dom0";
    c.layout = load_preset("qemu-virt-dom0");
    c.variant = v;
    for (const auto& q : inductive_growth(c, Limits{})) EXPECT_EQ(q.verdict, Verdict::proved) << v << " " << q.rule << ": " << q.detail;
  }
  Case m;
  m.layout = load_preset("qemu-virt-dom0");
  m.variant = "upstream";
  m.mutant = Mutant::range_end_off_by_one;
  bool misaligned = false;
  for (const auto& q : inductive_growth(m, Limits{}))
    if (q.rule == "growth-misaligned") misaligned = q.verdict == Verdict::refuted;
  EXPECT_TRUE(misaligned);
}

TEST(Inductive, ListCountsAndPagesAreInductive) {
  auto run = [](Mutant m, const char* rule, int kind) {
    BmcConfig cfg;
    cfg.base.layout = load_preset("qemu-virt-dom0");
    cfg.base.variant = "upstream";
    cfg.base.mutant = m;
    cfg.depth = 1;
    cfg.inductive = true;
    cfg.replay = false;
    Bmc b(cfg);
    return b.query(rule, kind).verdict;
  };
  for (const char* rule : {"not-in-pool", "double-alloc", "count-mismatch", "order-mismatch"})
    EXPECT_EQ(run(Mutant::none, rule, k_alloc), Verdict::proved) << rule;
  EXPECT_EQ(run(Mutant::none, "count-mismatch", k_free), Verdict::proved);
  // Not vacuous: the list mutants give counterexamples to induction.
  EXPECT_EQ(run(Mutant::pop_extra, "count-mismatch", k_alloc), Verdict::refuted);
  EXPECT_EQ(run(Mutant::list_count_stale, "count-mismatch", k_free), Verdict::refuted);
  EXPECT_EQ(run(Mutant::fifo_order, "order-mismatch", k_alloc), Verdict::refuted);
}

TEST(Inductive, GenpoolPartIsInductive) {
  // One solver per variant and mutant, asked in turn as `prove` does (later queries reuse
  // what Z3 learned on earlier ones).
  auto bmc = [](const char* v, Mutant m) {
    BmcConfig cfg;
    cfg.base.layout = load_preset("qemu-virt-dom0");
    cfg.base.variant = v;
    cfg.base.mutant = m;
    cfg.depth = 1;
    cfg.inductive = true;
    cfg.inductive_genpool = true;
    cfg.replay = false;
    return std::make_unique<Bmc>(cfg);
  };
  auto rfc = bmc("rfc", Mutant::none);
  EXPECT_EQ(rfc->query("double-alloc", k_dma_alloc).verdict, Verdict::proved);
  for (int k : {k_dma_alloc, k_dma_free}) EXPECT_EQ(rfc->query("count-mismatch", k).verdict, Verdict::proved) << k;
  auto v1 = bmc("v1", Mutant::none);
  EXPECT_EQ(v1->query("double-alloc", k_alloc).verdict, Verdict::proved);
  for (int k : {k_alloc, k_free, k_dma_alloc, k_dma_free})
    EXPECT_EQ(v1->query("count-mismatch", k).verdict, Verdict::proved) << k;
  // Not vacuous: DMA pages pushed to the list while genpool keeps them held break the counts
  // from a state satisfying Inv; pages filled top down break contiguity.
  EXPECT_EQ(bmc("rfc", Mutant::dma_free_to_list)->query("count-mismatch", k_dma_free).verdict, Verdict::refuted);
  EXPECT_EQ(bmc("v1", Mutant::dma_reverse)->query("not-contiguous", k_dma_alloc).verdict, Verdict::refuted);
}

// The budget decides: a check that runs out of resource units is `unknown`, with Z3's reason,
// never a verdict, whether it stays on the incremental solver or moves to a fresh one; and
// the units a check used are the same in two runs.
TEST(Limits, BudgetDecidesAndIsDeterministic) {
  auto run = [](unsigned rlimit, unsigned first_try) {
    BmcConfig cfg;
    cfg.base = tiny_case("rfc");
    cfg.two_callers = true;
    cfg.depth = 4;
    cfg.limits.rlimit = rlimit;
    cfg.limits.first_try = first_try;
    return Bmc(cfg).query("spurious-enomem");
  };
  for (unsigned first_try : {1000u, 100u}) {  // stays on the incremental solver; moves after 100
    auto cut = run(1000, first_try);
    EXPECT_EQ(cut.moved > 0, first_try < 1000) << cut.detail;
    EXPECT_EQ(cut.verdict, Verdict::unknown) << cut.detail;
    EXPECT_NE(cut.detail.find("resource limit"), std::string::npos) << cut.detail;
    EXPECT_FALSE(cut.expected_ok);
  }
  auto a = run(kDefaultRlimit, 0), b = run(kDefaultRlimit, 0);
  ASSERT_EQ(a.verdict, Verdict::refuted) << a.detail;
  EXPECT_GT(a.rlimit, 1000u);
  EXPECT_EQ(a.rlimit, b.rlimit);
  EXPECT_EQ(a.rlimit_total, b.rlimit_total);
}

// prove() reports each group once, when its last job is done, with its counts.
TEST(Prove, ReportsEachGroupWhenDone) {
  ProveOptions o;
  o.variants = {"upstream"};
  o.layouts = {{"qemu-virt-dom0", load_preset("qemu-virt-dom0")}};
  o.bmc = false;
  o.mutants = false;
  std::vector<GroupDone> groups;
  o.group_done = [&](const GroupDone& g) { groups.push_back(g); };
  auto res = prove(o);
  std::map<std::string, GroupDone> expect;
  for (const auto& q : res) {
    GroupDone& g = expect[q.group];
    ++g.queries;
    g.proved += q.verdict == Verdict::proved;
    g.refuted += q.verdict == Verdict::refuted;
    g.unknown += q.verdict == Verdict::unknown;
  }
  ASSERT_EQ(groups.size(), expect.size());
  ASSERT_EQ(expect.size(), 3u);  // layout, universal, wrap
  std::set<std::string> seen;
  for (const auto& g : groups) {
    EXPECT_TRUE(seen.insert(g.group).second) << g.group;
    ASSERT_TRUE(expect.count(g.group)) << g.group;
    EXPECT_EQ(g.queries, expect[g.group].queries) << g.group;
    EXPECT_EQ(g.proved, expect[g.group].proved) << g.group;
    EXPECT_EQ(g.refuted, expect[g.group].refuted) << g.group;
    EXPECT_EQ(g.unknown, expect[g.group].unknown) << g.group;
    EXPECT_GE(g.seconds, 0.0);
  }
}

// Every mutant is refuted by some query, and its counterexample replays in the model.
TEST(Bmc, MutantsRefutedAndReplayed) {
  ProveOptions o;
  o.variants = {"upstream", "rfc"};
  o.layouts = {{"qemu-virt-dom0", load_preset("qemu-virt-dom0")}};
  o.depth = 2;
  o.layout_checks = false;
  o.universal = false;
  o.bmc = false;
  auto res = prove(o);
  std::size_t n = 0;
  for (const auto& q : res) {
    if (q.group != "mutant") continue;
    ++n;
    EXPECT_EQ(q.verdict, Verdict::refuted) << q.mutant << ": " << q.detail;
    if (q.cex) {
      EXPECT_TRUE(q.replayed && *q.replayed) << q.mutant << ": " << q.replay_note;
    }
  }
  EXPECT_EQ(n, mutant_table().size() - 1);
}

}  // namespace
}  // namespace unpop::solver
