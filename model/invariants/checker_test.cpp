// Every rule of docs/rules.md fires on a minimal event sequence fed straight to the checker
// (as the trace replayer feeds it), and stays silent on the correct sequence next to it.
#include "model/invariants/checker.h"

#include <gtest/gtest.h>

#include "model/core/errno.h"
#include "model/testing/test_layouts.h"

namespace unpop {
namespace {

Geometry g4k() {
  Geometry g;
  Geometry::make(Arch::arm64, 4096, g);
  return g;
}

struct CheckerTest : ::testing::Test {
  Checker c{testing::qemu_dom0(), g4k(), Checker::Options{true, true}};
  void SetUp() override {
    c.target_built(Target::xen_resource, Range{0x40400000, 0xbfffffff}, {{0x60000000, 0x7fffffff}}, 0);
    c.growth(kMainPool, 1, Range{0x48000000, 0x4fffffff}, 0);
  }
  std::vector<std::string> rules() {
    std::vector<std::string> r;
    for (const auto& f : c.take()) r.push_back(f.rule);
    return r;
  }
  void alloc(PageSeq p, Path path = Path::plain, std::uint64_t nr = 0) {
    AllocEvent e;
    e.path = path;
    e.nr_pages = nr ? nr : p.size();
    e.pages = std::move(p);
    c.allocated(e);
  }
  void free(PageSeq p, Path path = Path::plain) {
    FreeEvent e;
    e.path = path;
    e.nr_pages = p.size();
    e.pages = std::move(p);
    c.freed(e);
  }
  using V = std::vector<std::string>;
};

TEST_F(CheckerTest, CleanLifoSequenceHasNoFinding) {
  EXPECT_EQ(rules(), V{});
  alloc(PageSeq::descending(0x4ffff, 4));
  free(PageSeq::descending(0x4ffff, 4));
  alloc(PageSeq::ascending(0x4fffc, 4));
  c.counts(CountReport{kMainPool, 32764, 32764, 32768});
  EXPECT_EQ(rules(), V{});
}

// Replay's lockstep candidates split by copying their state: the copy checks on from where the
// original was and shares nothing with it (not the live index's block cache, not the
// allocation drop_pages last looked at: copied, either would point into the original).
TEST_F(CheckerTest, ACopyChecksOnFromTheSameStateAndSharesNothing) {
  alloc(PageSeq::descending(0x4ffff, 4));  // #1
  free(PageSeq::descending(0x4ffff, 2));   // drop_pages and the block cache now point at #1's
  Checker copy = c;
  FreeEvent rest;
  rest.path = Path::plain;
  rest.nr_pages = 2;
  rest.pages = PageSeq::descending(0x4fffd, 2);
  copy.freed(rest);
  EXPECT_TRUE(copy.take().empty());
  EXPECT_EQ(copy.live_pages(), 0u);
  EXPECT_TRUE(copy.live_allocs().empty());
  copy.freed(rest);
  const auto twice = copy.take();
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice[0].rule, "double-free");
  // The original still has #1's last two pages live and gives them back once, cleanly.
  EXPECT_EQ(c.live_pages(), 2u);
  ASSERT_EQ(c.live_allocs().size(), 1u);
  EXPECT_EQ(c.live_allocs().begin()->second.live, 2u);
  free(PageSeq::descending(0x4fffd, 2));
  EXPECT_EQ(rules(), V{});
  EXPECT_TRUE(c.live_allocs().empty());
}

TEST_F(CheckerTest, GrowthRules) {
  c.growth(kMainPool, 1, Range{0x60000000, 0x67ffffff}, 0);  // in the hole, over RAM
  auto r = rules();
  EXPECT_NE(std::find(r.begin(), r.end(), "ram-overlap"), r.end());
  EXPECT_NE(std::find(r.begin(), r.end(), "outside-ext-region"), r.end());
  c.growth(kMainPool, 1, Range{0x40000000, 0x47ffffff}, 0);  // over the grant table, below region 0
  r = rules();
  EXPECT_NE(std::find(r.begin(), r.end(), "device-overlap"), r.end());
  c.growth(kMainPool, 1, Range{0x50000000, 0x50000fff}, 0);
  EXPECT_EQ(rules(), V{"growth-misaligned"});
  c.growth(kMainPool, 1, Range{0x48000000, 0x4fffffff}, 0);
  EXPECT_EQ(rules(), V{"growth-overlap"});
  c.growth(kMainPool, 1, Range{0x58000000, 0x57ffffff}, 0);  // a trace may carry end < start
  EXPECT_EQ(rules(), V{"growth-misaligned"});
  c.growth(kMainPool, 1, std::nullopt, -err::ebusy);  // a failed growth is no range
  EXPECT_EQ(rules(), V{});
}

TEST_F(CheckerTest, PageRules) {
  alloc(PageSeq::ascending(0x90000, 1));
  EXPECT_EQ(rules(), (V{"not-in-pool", "order-mismatch"}));
}

TEST_F(CheckerTest, DoubleAllocNamesBothOwners) {
  Checker d{testing::qemu_dom0(), g4k(), Checker::Options{false, true}};
  d.growth(kMainPool, 1, Range{0x48000000, 0x4fffffff}, 0);
  AllocEvent e;
  e.nr_pages = 2;
  e.pages = PageSeq::ascending(0x48000, 2);
  d.allocated(e);
  d.allocated(e);
  auto f = d.take();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "double-alloc");
  EXPECT_NE(f[0].message.find("#1"), std::string::npos);
}

TEST_F(CheckerTest, FreeRules) {
  alloc(PageSeq::descending(0x4ffff, 2));
  free(PageSeq::descending(0x4ffff, 2));
  free(PageSeq::descending(0x4ffff, 2));
  EXPECT_EQ(rules(), V{"double-free"});
  free(PageSeq::ascending(0x48000, 1));
  EXPECT_EQ(rules(), V{"unknown-free"});
  // The kernel pushes whatever it is given: page_list now hands out the bogus page first.
  alloc(PageSeq::ascending(0x48000, 1));
  EXPECT_EQ(rules(), V{});
}

TEST_F(CheckerTest, DmaRules) {
  Checker d{testing::qemu_dom0(), g4k(), Checker::Options{false, true}};
  d.growth(kDmaPool, 8, Range{0x48000000, 0x4fffffff}, 0);
  AllocEvent e;
  e.path = Path::dma;
  e.nr_pages = 4;
  e.pages = PageSeq::descending(0x48003, 4);
  d.allocated(e);
  EXPECT_EQ(d.take().at(0).rule, "not-contiguous");
  e.pages = PageSeq::ascending(0x48010, 4);
  d.allocated(e);
  FreeEvent f;
  f.path = Path::plain;
  f.nr_pages = 2;
  f.pages = PageSeq::ascending(0x48010, 2);
  d.freed(f);
  EXPECT_EQ(d.take().at(0).rule, "mixed-free");
  f.path = Path::dma;
  f.pages = PageSeq::ascending(0x48012, 2);
  d.freed(f);
  EXPECT_EQ(d.take().at(0).rule, "dma-free-mismatch");
}

TEST_F(CheckerTest, CountRules) {
  alloc(PageSeq::descending(0x4ffff, 3), Path::plain, 4);  // summary says 4, three pages
  EXPECT_EQ(rules().at(0), "count-mismatch");
  c.counts(CountReport{kMainPool, 1, 32765, 32768});  // list_count stale
  EXPECT_EQ(rules(), V{"count-mismatch"});
}

TEST_F(CheckerTest, LeakOnDrain) {
  alloc(PageSeq::descending(0x4ffff, 4));
  c.drained();
  EXPECT_EQ(rules(), V{"leak"});
  free(PageSeq::descending(0x4ffff, 4));
  c.drained();
  EXPECT_EQ(rules(), V{});
}

TEST_F(CheckerTest, KernelBug) {
  c.kernel_bug("BUG_ON(!pg)");
  EXPECT_EQ(rules(), V{"kernel-bug"});
}

TEST_F(CheckerTest, LivenessRules) {
  AllocEvent e;
  e.nr_pages = 10;
  e.ret = -err::enomem;
  c.allocated(e);
  EXPECT_EQ(rules(), V{"spurious-enomem"});
  e.fault_fired = true;  // an injected failure is not a design finding
  c.allocated(e);
  EXPECT_EQ(rules(), V{});
  e = AllocEvent{};
  e.path = Path::dma;
  e.source = Source::ram;
  e.nr_pages = 2025;
  e.pages = PageSeq::ascending(0x60000, 2025);
  c.allocated(e);
  EXPECT_EQ(rules(), V{"ram-stolen"});
  // Free pool pages (1 section) + unused whole sections (region 0: 2 more, region 1: 8).
  EXPECT_FALSE(c.could_serve(11 * 32768 + 1, false, ~0ull));
  EXPECT_TRUE(c.could_serve(11 * 32768, false, ~0ull));
  EXPECT_TRUE(c.could_serve(8 * 32768, true, ~0ull));
  EXPECT_FALSE(c.could_serve(8 * 32768 + 1, true, ~0ull));
  EXPECT_FALSE(c.could_serve(4 * 32768, true, 0x5fffffff));  // below a 32-bit-ish limit: 3 sections
}

TEST(CheckerLayout, RegionRules) {
  Layout l = testing::qemu_dom0();
  l.ext_regions.push_back({0x7f000000, 0x8fffffff});  // overlaps RAM and region 1
  Checker c{l, g4k(), {}};
  auto f = c.layout_findings();
  int overlaps = 0;
  for (const auto& x : f) overlaps += x.rule == "region-overlap";
  EXPECT_EQ(overlaps, 2);
  Checker m{testing::qemu_dom0(), g4k(), {}};
  m.target_built(Target::xen_resource, Range{0x40400000, 0xbfffffff}, {}, 0);  // hole missing
  EXPECT_EQ(m.take().at(0).rule, "region-mismatch");
}

}  // namespace
}  // namespace unpop
