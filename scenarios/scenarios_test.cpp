// Counters pinned on small hand-computed cases, and the workloads' own bookkeeping.
#include <gtest/gtest.h>

#include <map>

#include "model/testing/test_layouts.h"
#include "scenarios/chart.h"
#include "scenarios/scenario.h"
#include "scenarios/table.h"

namespace unpop::scen {
namespace {

Geometry geo(std::uint64_t ps, Arch a = Arch::arm64) {
  Geometry g;
  EXPECT_TRUE(Geometry::make(a, ps, g));
  return g;
}

// One buffer of `nr` pages taken at t=0 and given back by the teardown at t=10.
Workload one_buffer(std::uint64_t nr, bool dma) {
  WorkloadBuilder b("one");
  b.alloc(0, nr, "test buffer", dma);
  return b.finish(10, "one buffer");
}

std::uint64_t rule(const RunResult& r, const char* id) {
  auto it = r.c.by_rule.find(id);
  return it == r.c.by_rule.end() ? 0 : it->second;
}

TEST(ScenarioSizes, FramebufferPagesPerPageSize) {
  EXPECT_EQ(pages_for(kFullHdBytes, geo(4096)), 2025u);
  EXPECT_EQ(pages_for(kFullHdBytes, geo(16384)), 507u);
  EXPECT_EQ(pages_for(kFullHdBytes, geo(65536)), 127u);
  EXPECT_EQ(pages_for(kUhdBytes, geo(4096)), 8100u);
  EXPECT_EQ(pages_for(kUhdBytes, geo(16384)), 2025u);
  EXPECT_EQ(pages_for(kUhdBytes, geo(65536)), 507u);
}

// Upstream: dma_alloc_coherent takes 2025 pages first-fit from the bottom of RAM
// (0x60000000-0x607e8fff), xenmem_reservation_decrease hands them to Xen in one hypercall:
// 2 MiB blocks 0x300..0x303 (0x60000000, 0x60200000, 0x60400000, 0x60600000) lose pages.
// The RAM bank 0x60000000-0x7fffffff holds 256 whole 2 MiB blocks and no whole 1 GiB block.
TEST(ScenarioCounters, UpstreamDmaTakesCmaAndBreaksFourSuperpages) {
  auto r = run_workload(one_buffer(2025, true), testing::qemu_dom0(), geo(4096), "upstream");
  EXPECT_EQ(r.c.ram_pages_peak, 2025u);
  EXPECT_EQ(r.c.cma_pages_peak, 2025u);
  EXPECT_EQ(r.c.ram_pages_now, 0u);
  EXPECT_EQ(r.c.p2m_2m_blocks, 256u);
  EXPECT_EQ(r.c.p2m_1g_blocks, 0u);
  EXPECT_EQ(r.c.p2m_2m_broken, 4u);
  EXPECT_EQ(r.c.p2m_1g_broken, 0u);
  EXPECT_EQ(r.c.hc_decrease, 1u);
  EXPECT_EQ(r.c.hc_increase, 1u);
  EXPECT_EQ(r.c.growths, 0u);
  EXPECT_EQ(r.c.pool_pages, 0u);
  EXPECT_EQ(r.c.alloc_failures, 0u);
  EXPECT_EQ(r.c.violations, 0u);
  EXPECT_EQ(rule(r, "ram-stolen"), 1u);  // the extended regions could have served it
}

// The same buffer through the RFC: one 128 MiB "Xen DMA pool" section (32768 pages), no RAM,
// no hypercall; 32768 - 2025 pages idle when the teardown starts.
TEST(ScenarioCounters, RfcDmaGrowsOneSectionAndTakesNoRam) {
  for (const char* v : {"rfc", "v1", "proposed"}) {
    SCOPED_TRACE(v);
    auto r = run_workload(one_buffer(2025, true), testing::qemu_dom0(), geo(4096), v);
    EXPECT_EQ(r.c.ram_pages_peak, 0u);
    EXPECT_EQ(r.c.cma_pages_peak, 0u);
    EXPECT_EQ(r.c.p2m_2m_broken, 0u);
    EXPECT_EQ(r.c.hypercalls(), 0u);
    EXPECT_EQ(r.c.growths, 1u);
    EXPECT_EQ(r.c.pool_pages, 32768u);
    EXPECT_EQ(r.c.pool_live_peak, 2025u);
    EXPECT_EQ(r.c.idle_end, 32768u - 2025u);
    EXPECT_EQ(r.c.violations, 0u);
    EXPECT_EQ(r.c.liveness, 0u);
  }
}

// A single 64 MiB extended region holds no whole 128 MiB section: growth fails. V1 falls back to
// CMA (RAM taken, two hypercalls), the RFC has no fallback and fails the allocation.
TEST(ScenarioCounters, NoSectionV1FallsBackRfcFails) {
  Layout l = testing::qemu_dom0();
  l.ext_regions = {{0x40400000, 0x443fffff}};
  auto v1 = run_workload(one_buffer(2025, true), l, geo(4096), "v1");
  EXPECT_EQ(v1.c.growth_failures, 1u);
  EXPECT_EQ(v1.c.alloc_failures, 0u);
  EXPECT_EQ(v1.c.ram_pages_peak, 2025u);
  EXPECT_EQ(v1.c.hypercalls(), 2u);
  EXPECT_EQ(v1.c.p2m_2m_broken, 4u);
  EXPECT_EQ(v1.c.violations, 0u);
  auto rfc = run_workload(one_buffer(2025, true), l, geo(4096), "rfc");
  EXPECT_EQ(rfc.c.alloc_failures, 1u);
  EXPECT_EQ(rfc.c.dma_failures, 1u);
  EXPECT_EQ(rfc.c.ram_pages_peak, 0u);
  EXPECT_EQ(rfc.c.hypercalls(), 0u);
  EXPECT_EQ(rfc.c.violations, 0u);
}

// No hypervisor node: no target, plain allocations balloon out RAM from the top, page by page:
// 1000 pages = 0x7fc18000-0x7fffffff, 2 MiB blocks 0x3fe and 0x3ff; decrease_reservation batches
// at PAGE_SIZE / sizeof(xen_pfn_t) = 512 frames: 2 hypercalls out, 2 back in.
TEST(ScenarioCounters, BalloonFallbackBatchesHypercalls) {
  Layout l = testing::qemu_dom0();
  l.hypervisor_node = false;
  auto r = run_workload(one_buffer(1000, false), l, geo(4096), "upstream");
  EXPECT_NE(r.init_ret, 0);
  EXPECT_EQ(r.c.ram_pages_peak, 1000u);
  EXPECT_EQ(r.c.cma_pages_peak, 0u);
  EXPECT_EQ(r.c.hc_decrease, 2u);
  EXPECT_EQ(r.c.hc_increase, 2u);
  EXPECT_EQ(r.c.p2m_2m_broken, 2u);
  EXPECT_EQ(r.c.violations, 0u);
  Metrics m16(l, geo(16384)), m64(l, geo(65536));
  EXPECT_EQ(m16.balloon_batches(1000), 1u);  // 2048 frames per call
  EXPECT_EQ(m64.balloon_batches(8193), 2u);  // 8192 frames per call
}

// RAM 0x40000000-0xbfffffff: two whole 1 GiB blocks (1024 blocks of 2 MiB); a CMA buffer at the
// bottom breaks the first 1 GiB block and 2 MiB blocks 0x200..0x203.
TEST(ScenarioCounters, OneGigBlockBroken) {
  Layout l = testing::qemu_dom0();
  l.ram = {{{0x40000000, 0xbfffffff}, "System RAM"}};
  l.grant_table = Range{0x38000000, 0x3803ffff};
  l.ext_regions = {{0x100000000, 0x1ffffffff}};
  auto r = run_workload(one_buffer(2025, true), l, geo(4096), "upstream");
  EXPECT_EQ(r.c.p2m_1g_blocks, 2u);
  EXPECT_EQ(r.c.p2m_2m_blocks, 1024u);
  EXPECT_EQ(r.c.p2m_1g_broken, 1u);
  EXPECT_EQ(r.c.p2m_2m_broken, 4u);
  EXPECT_EQ(r.c.violations, 0u);
}

// Broken blocks stay broken: the same buffer freed and taken again breaks no new block, but every
// round trip costs two hypercalls.
TEST(ScenarioCounters, RepopulatedBlocksStayBroken) {
  WorkloadBuilder b("again");
  for (int i = 0; i < 3; ++i) {
    int h = b.alloc(i, 2025, "buf", true);
    b.free(i + 0.5, h);
  }
  auto r = run_workload(b.finish(10, ""), testing::qemu_dom0(), geo(4096), "upstream");
  EXPECT_EQ(r.c.p2m_2m_broken, 4u);
  EXPECT_EQ(r.c.hypercalls(), 6u);
  EXPECT_EQ(r.c.ram_pages_total, 3u * 2025);
  EXPECT_EQ(r.c.ram_pages_peak, 2025u);
}

// A violation is counted and its text kept: the `x86` variant (target iomem_resource) on an Arm
// layout grows its first section at 0x40000000, over the grant-table frames at 0x40200000.
TEST(ScenarioCounters, ViolationsAreCountedAndNamed) {
  auto r = run_workload(one_buffer(100, false), testing::qemu_dom0(), geo(4096), "x86");
  EXPECT_EQ(r.c.violations, 1u);
  EXPECT_EQ(rule(r, "device-overlap"), 1u);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_NE(r.violations[0].find("grant table"), std::string::npos);
}

// Every workload: sorted in time, each free gives back a live handle, every handle freed once.
TEST(Workloads, BalancedSortedAndDeterministic) {
  for (std::uint64_t ps : {4096ull, 16384ull, 65536ull})
    for (const auto& name : scenario_names()) {
      SCOPED_TRACE(name + " " + std::to_string(ps));
      auto w = make_workload(name, geo(ps));
      auto again = make_workload(name, geo(ps));
      ASSERT_EQ(w.events.size(), again.events.size());
      std::vector<int> state(static_cast<std::size_t>(w.handles), 0);  // 0 unborn, 1 live, 2 freed
      double t = 0;
      bool in_teardown = false;
      for (std::size_t i = 0; i < w.events.size(); ++i) {
        const auto& e = w.events[i];
        EXPECT_EQ(e.nr, again.events[i].nr);
        EXPECT_EQ(e.handle, again.events[i].handle);
        EXPECT_GE(e.t, t);
        t = e.t;
        if (e.teardown) in_teardown = true;
        EXPECT_EQ(e.teardown, in_teardown) << "teardown events come last";
        if (e.kind == Event::Kind::free) {
          ASSERT_EQ(state[e.handle], 1);
          state[e.handle] = 2;
        } else {
          ASSERT_EQ(state[e.handle], 0);
          EXPECT_GT(e.nr, 0u);
          state[e.handle] = 1;
        }
      }
      for (int s : state) EXPECT_EQ(s, 2);
      EXPECT_LE(t, w.duration);
    }
  auto sizes = [](const Workload& w) {
    std::vector<std::uint64_t> n;
    for (const auto& e : w.events) n.push_back(e.nr);
    return n;
  };
  EXPECT_NE(sizes(make_workload("pv-display-churn", geo(4096), 7)),
            sizes(make_workload("pv-display-churn", geo(4096))))
      << "another seed, another churn";
}

TEST(Workloads, DomainBuildMapsOneGigInFourMegBatches) {
  auto w = make_workload("domain-build", geo(4096));
  std::uint64_t mapped = 0;
  int allocs = 0;
  for (const auto& e : w.events)
    if (e.kind == Event::Kind::alloc) mapped += e.nr, ++allocs;
  EXPECT_EQ(allocs, 256);
  EXPECT_EQ(mapped, (1ull << 30) / 4096);
  EXPECT_EQ(make_workload("domain-build", geo(65536)).events.front().nr, 64u);
}

// The upstream peak equals the most DMA pages the workload holds at once (computed here from the
// events alone); the unpopulated variants take no RAM; no run breaks an invariant.
TEST(ScenarioRuns, PvDisplayPeakMatchesTheWorkload) {
  auto g = geo(4096);
  auto w = make_workload("pv-display", g);
  std::map<int, std::uint64_t> size;
  std::uint64_t live = 0, peak = 0;
  for (const auto& e : w.events) {
    if (e.kind == Event::Kind::free) {
      live -= size[e.handle];
    } else {
      size[e.handle] = e.nr;
      live += e.nr;
      peak = std::max(peak, live);
    }
  }
  auto up = run_workload(w, testing::qemu_dom0(), g, "upstream", true);
  EXPECT_EQ(up.c.ram_pages_peak, peak);
  EXPECT_EQ(up.c.cma_pages_peak, peak);
  EXPECT_EQ(up.c.violations, 0u);
  EXPECT_FALSE(up.series.empty());
  for (const char* v : {"rfc", "v1", "proposed"}) {
    auto r = run_workload(w, testing::qemu_dom0(), g, v);
    EXPECT_EQ(r.c.ram_pages_peak, 0u) << v;
    EXPECT_EQ(r.c.violations, 0u) << v;
    EXPECT_EQ(r.c.pool_live_peak, peak) << v;
  }
}

TEST(ScenarioOutput, TableJsonAndSvg) {
  auto g = geo(4096);
  auto w = make_workload("pv-display", g);
  std::vector<RunResult> rs;
  for (const char* v : {"upstream", "rfc"}) rs.push_back(run_workload(w, testing::qemu_dom0(), g, v, true));
  auto t = results_table(rs);
  EXPECT_NE(t.find("RAM peak MiB"), std::string::npos);
  EXPECT_NE(results_table(rs, true).find("| pv-display | rfc |"), std::string::npos);
  auto j = to_json(rs[0]);
  EXPECT_EQ(j["p2m_2m_blocks"], 256);
  EXPECT_EQ(j["violations"], 0);
  auto svg = timeline_svg(rs, "pv-display");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  std::size_t paths = 0;
  for (std::size_t p = svg.find("<path"); p != std::string::npos; p = svg.find("<path", p + 1)) ++paths;
  EXPECT_EQ(paths, 6u * rs.size());  // one line per panel per variant
  auto sum = summary_svg(rs, "summary");
  EXPECT_NE(sum.find(variant_colour("rfc")), std::string::npos);
}

}  // namespace
}  // namespace unpop::scen
