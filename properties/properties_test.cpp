// The property suites as ctest runs them: fixed seed, a budget that fits CI.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "properties/driver.h"
#include "properties/gen.h"
#include "properties/suites.h"

using namespace unpop;
using namespace unpop::props;

namespace {

// A fixed seed for every RC_GTEST_PROP unless the caller set RC_PARAMS (to reproduce a run).
const bool kSeeded = [] {
  if (!std::getenv("RC_PARAMS")) setenv("RC_PARAMS", "seed=20261126 max_success=150", 0);
  return true;
}();

constexpr std::uint64_t kSeed = 1;
constexpr int kRuns = 600;

RunConfig ci_config() {
  RunConfig c;
  c.seed = kSeed;
  c.runs = kRuns;
  c.max_size = 60;
  return c;
}

bool xen_would_emit(const Layout& l, std::string* why) {
  const auto& r = l.ext_regions;
  // libxl 4.21+ cuts passthrough iomem out of a domU's regions without realigning the pieces
  // (preset xen-domu-4.21-iomem): only there may a region start off a 2 MiB boundary.
  bool cut = false;
  for (const auto& m : l.mmio) cut |= m.name == "passthrough iomem";
  if (r.size() > 256) return *why = "more than 256 regions", false;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!cut && (r[i].start % (2 << 20) || r[i].size() % (2 << 20))) return *why = "not 2 MiB aligned: " + to_string(r[i]), false;
    if (r[i].size() < (64ull << 20)) return *why = "smaller than 64 MiB: " + to_string(r[i]), false;
    if (i && r[i - 1].end >= r[i].start) return *why = "unsorted or overlapping: " + to_string(r[i]), false;
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------------------- generators

// Inside a property: the setup's layout passes every layout rule at init (warnings at most).
static void assert_init_clean(const Setup& s) {
  Case c;
  c.layout = s.layout;
  c.page_size = s.page_size;
  Runner r(c);
  for (const auto& f : r.init_findings()) RC_ASSERT(f.severity == Severity::warning);
}

RC_GTEST_PROP(Generators, LayoutsAreWhatXenCanEmit, ()) {
  SetupOptions o;
  Setup s = *genSetup(o);
  std::string why;
  bool ok = xen_would_emit(s.layout, &why);
  RC_LOG() << s.kind << " " << s.preset << ": " << why;
  RC_ASSERT(ok);
  assert_init_clean(s);
  if (s.layout.arch == Arch::x86_64) RC_ASSERT(s.page_size == 4096u);
}

// check on the user's board: a given layout is used as it is, or as a neighbour whose extended
// regions are a non-empty selection of the given ones, each whole or cut inside itself.
RC_GTEST_PROP(Generators, GivenLayoutOrItsNeighbour, ()) {
  SetupOptions o;
  o.given = load_preset("qemu-virt-dom0");
  o.given_preset = "qemu-virt-dom0";
  Setup s = *genSetup(o);
  RC_ASSERT(s.kind == "given" || s.kind == "neighbour");
  if (s.kind == "given") {
    RC_ASSERT(s.preset == "qemu-virt-dom0");
    RC_ASSERT(s.layout.ext_regions == o.given->ext_regions);
    return;
  }
  RC_ASSERT(s.preset.empty());
  RC_ASSERT(s.layout.ram == o.given->ram);
  RC_ASSERT(!s.layout.ext_regions.empty());
  for (const Range& r : s.layout.ext_regions) {
    bool inside = false;
    for (const Range& g : o.given->ext_regions) inside |= r.start >= g.start && r.end <= g.end;
    RC_ASSERT(inside);
  }
  assert_init_clean(s);
}

// A suite run on a given layout finds on it (upstream's ram-stolen shows on qemu-virt-dom0).
TEST(Engine, RunsOnTheGivenLayout) {
  RunConfig cfg;
  cfg.runs = 100;
  cfg.layout = load_preset("qemu-virt-dom0");
  cfg.preset = "qemu-virt-dom0";
  auto rep = check_variant("upstream", cfg);
  ASSERT_TRUE(rep.findings.count("ram-stolen"));
  const Case& cs = rep.findings.at("ram-stolen").cs;
  EXPECT_TRUE(cs.preset == "qemu-virt-dom0" || cs.layout.name == "qemu-virt-dom0-neighbour") << cs.layout.name;
}

RC_GTEST_PROP(Generators, AdversarialLayoutsStayValid, ()) {
  Layout l = *genAdversarialLayout();
  std::string why;
  RC_ASSERT(xen_would_emit(l, &why));
  Case c;
  c.layout = l;
  Runner r(c);
  for (const auto& f : r.init_findings()) RC_ASSERT(f.severity == Severity::warning);
  RC_ASSERT(r.model().init_ret() == 0);
}

TEST(Generators, RealisticSizes) {
  EXPECT_EQ(fullhd_pages(4096), 2025u);
  EXPECT_EQ(uhd_pages(4096), 8100u);
  EXPECT_EQ(fullhd_pages(16384), 507u);
  EXPECT_EQ(uhd_pages(65536), 507u);
}

// ------------------------------------------------------------------------- the properties

// The proposed design keeps every rule, sequentially and with two callers.
RC_GTEST_PROP(Proposed, StatefulKeepsEveryRule, ()) {
  RunConfig cfg;
  SetupOptions so;
  stateful_property("proposed", cfg, so);
}

RC_GTEST_PROP(Proposed, EveryInterleavingKeepsEveryRule, ()) {
  RunConfig cfg;
  SetupOptions so;
  race_property("proposed", cfg, so);
}

// Every other variant keeps every rule except its by-design findings.
RC_GTEST_PROP(Variants, StatefulKeepsAllButTheirFindings, ()) {
  for (const auto& v : variant_names()) {
    RunConfig cfg;
    cfg.ignore = expected_findings(v);
    SetupOptions so;
    stateful_property(v, cfg, so);
  }
}

// ------------------------------------------------------------------------- findings

// The set of findings per variant is pinned: a change that adds or removes one fails here.
class Findings : public ::testing::TestWithParam<std::string> {};

TEST_P(Findings, ExactlyTheExpectedOnes) {
  const std::string v = GetParam();
  VariantReport rep = check_variant(v, ci_config());
  std::set<std::string> got;
  for (const auto& [rule, cx] : rep.findings) {
    got.insert(rule);
    EXPECT_TRUE(cx.verified) << v << " " << rule << ": the minimal case does not replay";
    EXPECT_LE(cx.ops, 6u) << v << " " << rule << ": not minimal";
    // The counterexample is a Case: it survives a save/load round trip and still shows the rule.
    auto path = std::filesystem::temp_directory_path() / ("unpop-" + v + "-" + rule + ".json");
    save_case(path.string(), cx.cs);
    Case back = load_case(path.string());
    EXPECT_TRUE(replay_shows(back, rule)) << v << " " << rule << " after a JSON round trip";
    std::filesystem::remove(path);
  }
  EXPECT_EQ(got, expected_findings(v)) << "findings of " << v << " changed: update docs/findings.md";
  EXPECT_TRUE(rep.errors.empty());
}

INSTANTIATE_TEST_SUITE_P(PerVariant, Findings, ::testing::Values("upstream", "rfc", "v1", "x86", "proposed"));

TEST(Findings, ProposedHasNone) { EXPECT_TRUE(expected_findings("proposed").empty()); }

// The RFC's unlocked DMA path: two callers racing on a fresh chunk give a spurious -ENOMEM
// that no sequential order shows.
TEST(Race, RfcUnlockedFillRace) {
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset(c.preset);
  c.variant = "rfc";
  c.ops = parse_script("dma_alloc 20000\n@1 dma_alloc 20000\n", "race");
  // A misses and fills, B takes most of A's new chunk, A's retry fails.
  c.schedule = {0, 0, 1, 0};
  std::size_t step = 0;
  EXPECT_TRUE(replay_shows(c, "spurious-enomem", &step));
  c.schedule.clear();
  EXPECT_FALSE(replay_shows(c, "spurious-enomem"));
}

// ------------------------------------------------------------------------- mutants

class Mutants : public ::testing::TestWithParam<Mutant> {};

TEST_P(Mutants, KilledWhereverTheyCanChangeBehaviour) {
  const Mutant m = GetParam();
  RunConfig cfg = ci_config();
  cfg.runs = 300;
  for (const auto& v : variant_names()) {
    if (!mutant_applies(m, v)) continue;
    MutantKill k = run_mutant(m, v, cfg);
    if (equivalent_mutant(m, v)) continue;
    EXPECT_TRUE(k.killed) << to_string(m) << " survives in " << v;
    if (k.killed) {
      EXPECT_TRUE(k.cex.verified) << to_string(m) << " in " << v;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, Mutants,
                         ::testing::Values(Mutant::range_end_off_by_one, Mutant::no_section_align, Mutant::fifo_order,
                                           Mutant::list_count_stale, Mutant::dma_free_to_list, Mutant::no_rollback,
                                           Mutant::overlapping_growth, Mutant::dma_reverse, Mutant::no_holes,
                                           Mutant::pop_extra),
                         [](const auto& info) {
                           std::string n = to_string(info.param);
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// ------------------------------------------------------------------------- engine

TEST(Engine, DeterministicForASeed) {
  RunConfig cfg = ci_config();
  cfg.runs = 200;
  auto a = run_suite("stateful", "upstream", cfg);
  auto b = run_suite("stateful", "upstream", cfg);
  ASSERT_TRUE(a.failed);
  EXPECT_EQ(case_to_json(a.cex.cs), case_to_json(b.cex.cs));
  EXPECT_FALSE(a.cex.cs.reproduce.empty());
}

TEST(Engine, ReferenceCatchesAStaleCount) {
  // list-count-stale: the variant's own count disagrees with the reference after a free.
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset(c.preset);
  c.mutant = Mutant::list_count_stale;
  c.ops = parse_script("alloc 4\nfree #0\n", "ref");
  EXPECT_TRUE(replay_shows(c, kReferenceRule));
}

// Every example counterexample in docs/cex still replays to the rule it documents.
TEST(DocsCex, EveryExampleShowsItsRule) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(UNPOP_SOURCE_DIR) + "/docs/cex")) {
    if (e.path().extension() != ".json") continue;
    Case c = load_case(e.path().string());
    ASSERT_FALSE(c.rule.empty()) << e.path();
    EXPECT_TRUE(replay_shows(c, c.rule)) << e.path() << " no longer shows " << c.rule;
    ++n;
  }
  EXPECT_GE(n, 10u);
}

// The proposed design on every documented counterexample: no finding.
TEST(DocsCex, ProposedPassesEveryExample) {
  for (const auto& e : std::filesystem::directory_iterator(std::string(UNPOP_SOURCE_DIR) + "/docs/cex")) {
    if (e.path().extension() != ".json") continue;
    Case c = load_case(e.path().string());
    c.variant = "proposed";
    EXPECT_EQ(replay_rule(c), "") << e.path();
  }
}

// The incremental Driver (what the stateful suite runs) and Runner (what explore and every
// other command replay with) see the same findings at the same steps.
RC_GTEST_PROP(Engine, DriverAndRunnerAgree, ()) {
  SetupOptions so;
  Setup s = *genSetup(so);
  Case c;
  c.preset = s.preset;
  c.layout = s.layout;
  c.page_size = s.page_size;
  c.variant = *rc::gen::elementOf(variant_names());
  Driver d(c);
  std::vector<std::set<std::string>> inc;
  const int n = *rc::gen::inRange(1, 25);
  std::vector<std::size_t> allocs;
  for (int i = 0; i < n; ++i) {
    Op op;
    switch (pick_weighted({4, 3, allocs.empty() ? 0u : 4u, 1})) {
      case 0: op.kind = Op::Kind::alloc; op.nr = *genPages(s.page_size); break;
      case 1: op.kind = Op::Kind::dma_alloc; op.nr = *genPages(s.page_size); break;
      case 2: {
        std::size_t k = pick(0, allocs.size() - 1);
        op.ref = static_cast<int>(allocs[k]);
        op.kind = d.the_case().ops[allocs[k]].kind == Op::Kind::dma_alloc ? Op::Kind::dma_free : Op::Kind::free;
        allocs.erase(allocs.begin() + static_cast<long>(k));
        break;
      }
      default: op.kind = Op::Kind::fail; op.point = static_cast<FaultPoint>(pick(0, kFaultPoints - 1)); break;
    }
    std::set<std::string> rules;
    for (const auto& f : d.step(op))
      if (f.rule != kReferenceRule) rules.insert(f.rule);
    inc.push_back(rules);
    if (op.is_alloc() && d.last_ok()) allocs.push_back(d.size() - 1);
  }
  Runner r(d.the_case());
  auto recs = r.run(false);
  RC_ASSERT(recs.size() == inc.size());
  for (const auto& rec : recs) {
    std::set<std::string> rules;
    for (const auto& f : rec.findings) rules.insert(f.rule);
    RC_ASSERT(rules == inc.at(rec.index));
  }
}

// A suite that never fails proves nothing: the race suite on its own kills mutants too.
TEST(Race, KillsMutantsOnItsOwn) {
  RunConfig cfg = ci_config();
  cfg.runs = 300;
  cfg.suites = {"race"};
  const std::pair<Mutant, const char*> cases[] = {{Mutant::range_end_off_by_one, "upstream"},
                                                  {Mutant::fifo_order, "x86"},
                                                  {Mutant::dma_reverse, "rfc"},
                                                  {Mutant::dma_free_to_list, "rfc"},
                                                  {Mutant::no_holes, "v1"},
                                                  {Mutant::pop_extra, "upstream"},
                                                  {Mutant::overlapping_growth, "rfc"}};
  for (const auto& [m, v] : cases) {
    MutantKill k = run_mutant(m, v, cfg);
    EXPECT_TRUE(k.killed) << to_string(m) << " in " << v;
    EXPECT_EQ(k.cex.suite, "race");
  }
}
