// Report stage: the context ring -- which earlier events a finding shows, and how many.
#include "traces/replay/context.h"

#include <gtest/gtest.h>

#include "traces/replay/test_support.h"

namespace unpop::replay {
namespace {

struct RingRig {
  explicit RingRig(std::size_t size = 16, std::size_t lines = 8) {
    Geometry::make(Arch::arm64, 4096, geo);
    ring = std::make_unique<ContextRing>(geo, size, lines);
    ring->enter_file("t.txt");
  }
  // Remembers one event of `pid` touching [lo, hi] (lo > hi: no pages).
  void event(int pid, const std::string& body, Pfn lo, Pfn hi) {
    recs.push_back(test::records(test::line(pid == 212 ? "gntdev" : "qemu", pid, 1, 3000000 + n, body))[0]);
    recs.back().line = ++n;
    decode(recs.back(), ev);
    ring->remember(recs.back(), ev.kind, lo, hi);
  }
  Geometry geo;
  std::unique_ptr<ContextRing> ring;
  std::vector<traces::Record> recs;
  Event ev;
  std::uint64_t n = 0;
};

Finding on_pfn(Pfn p) {
  Finding f;
  f.rule = "double-free";
  f.pfns = {p};
  return f;
}

TEST(ReplayContext, EventsOfTheSamePagesOldestFirst) {
  RingRig rig;
  rig.event(212, "xen_unpop_free_page: pfn=0x10", 0x10, 0x10);
  rig.event(340, "xen_unpop_free_page: pfn=0x20", 0x20, 0x20);
  rig.event(212, "xen_unpop_free: nr_pages=1", 1, 0);
  auto c = rig.ring->context_for(on_pfn(0x10), 212);
  ASSERT_EQ(c.size(), 2u) << ::testing::PrintToString(c);
  EXPECT_EQ(c[0], "t.txt:1: gntdev-212 [001] 3.000000: xen_unpop_free_page: pfn=0x10");
  // A summary of the same task (no pages of its own) belongs to the same calls.
  EXPECT_EQ(c[1], "t.txt:3: gntdev-212 [001] 3.000002: xen_unpop_free: nr_pages=1");
}

TEST(ReplayContext, RangesAndFindingsWithoutPages) {
  RingRig rig;
  rig.event(212, "xen_unpop_fill_list: nr_pages=1 start=0x48000000 end=0x4fffffff ret=0", 0x48000, 0x4ffff);
  rig.event(340, "xen_unpop_alloc: nr_pages=0 ret=0", 1, 0);
  Finding range;
  range.rule = "growth-overlap";
  range.ranges = {{Range{0x4ffff000, 0x4fffffff}, "x"}};
  auto c = rig.ring->context_for(range, 999);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NE(c[0].find("xen_unpop_fill_list"), std::string::npos);
  Finding none;  // no pages at all: the task's own events
  none.rule = "count-mismatch";
  c = rig.ring->context_for(none, 340);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NE(c[0].find("qemu-340"), std::string::npos);
}

// The ring forgets the oldest events; a finding shows at most `lines` of them.
TEST(ReplayContext, BoundedRingAndLines) {
  RingRig small(2, 8);
  for (int i = 0; i < 3; ++i) small.event(212, "xen_unpop_free_page: pfn=0x10", 0x10, 0x10);
  auto c = small.ring->context_for(on_pfn(0x10), 212);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].rfind("t.txt:2:", 0), 0u) << c[0];
  RingRig few(16, 1);
  for (int i = 0; i < 3; ++i) few.event(212, "xen_unpop_free_page: pfn=0x10", 0x10, 0x10);
  c = few.ring->context_for(on_pfn(0x10), 212);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].rfind("t.txt:3:", 0), 0u) << c[0];
}

TEST(ReplayContext, EachEventNamesItsInput) {
  RingRig rig;
  rig.event(212, "xen_unpop_free_page: pfn=0x10", 0x10, 0x10);
  rig.ring->enter_file("u.txt");
  rig.event(212, "xen_unpop_free_page: pfn=0x10", 0x10, 0x10);
  rig.ring->enter_file("t.txt");  // back to the first input: the same index
  rig.event(212, "xen_unpop_free_page: pfn=0x10", 0x10, 0x10);
  auto c = rig.ring->context_for(on_pfn(0x10), 212);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].rfind("t.txt:1:", 0), 0u);
  EXPECT_EQ(c[1].rfind("u.txt:2:", 0), 0u);
  EXPECT_EQ(c[2].rfind("t.txt:3:", 0), 0u);
}

// Long text (a comm or body beyond the inline size) is kept whole.
TEST(ReplayContext, LongTextIsKept) {
  RingRig rig;
  const std::string body = "xen_unpop_dma_free: dev=" + std::string(80, 'd') + " nr_pages=1";
  rig.event(212, body, 0x10, 0x10);
  auto c = rig.ring->context_for(on_pfn(0x10), 212);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NE(c[0].find(std::string(80, 'd') + " nr_pages=1"), std::string::npos) << c[0];
}

}  // namespace
}  // namespace unpop::replay
