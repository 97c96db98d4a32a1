// Stage 2: page events -> calls. A fake sink records what attribution hands over, and at
// which event (the cursor's line when the call or a collect() arrives).
#include "traces/replay/attribution.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "traces/replay/test_support.h"

namespace unpop::replay {
namespace {

struct FakeSink : CallSink {
  explicit FakeSink(Cursor& c) : cur(c) {}
  Cursor& cur;
  std::vector<std::string> log;  // calls, findings, warnings and notes in order, each with its event's line
  bool defer = false;            // pool_from_next_summary()
  bool pool_unknown = false;

  std::uint64_t at() const { return cur.where().line; }
  static std::string tag(bool part, std::uint64_t applied) {
    return part ? " part" : applied ? fmt::format(" applied={}", applied) : "";
  }
  void growth(const GrowthCall& g) override {
    log.push_back(fmt::format("growth@{} pool={} nr={} range={} ret={}", at(), g.pool, g.nr,
                              g.range ? to_string(*g.range) : "-", g.ret));
  }
  void alloc(AllocCall&& c) override {
    log.push_back(fmt::format("alloc@{} {} nr={} ret={} pages={} owner={}{}", at(), to_string(c.path), c.nr, c.ret,
                              c.pages.describe(), c.owner, tag(c.part, c.applied)));
  }
  void free(FreeCall&& c) override {
    log.push_back(fmt::format("free@{} {} nr={} pages={} owner={}{}", at(), to_string(c.path), c.nr, c.pages.describe(),
                              c.owner, tag(c.part, c.applied)));
  }
  void collect() override {}
  void hold(Finding f) override { log.push_back(fmt::format("hold@{} {}: {}", at(), f.rule, f.message)); }
  void warn(std::string kind, const Where& w, std::string) override { log.push_back(fmt::format("warn@{} {}", w.line, kind)); }
  void unchecked(std::string) override {}
  Pfn page_pfn(const Event& e, bool) override {
    if (auto p = e.pfn()) return *p;
    e.missing_page();
  }
  bool struct_page_base_known() const override { return false; }
  PageSeq pages_array(const Event&) override { return {}; }
  void pool_extent_unknown() override { pool_unknown = true; }
  bool pool_from_next_summary() const override { return defer; }
};

// Feeds records the way the Replayer does (cursor at the record, then the stage).
struct Rig {
  Rig() {
    Geometry::make(Arch::arm64, 4096, geo);
    attr = std::make_unique<Attributor>(geo, cur, sink);
  }
  Geometry geo;
  Cursor cur;
  FakeSink sink{cur};
  std::unique_ptr<Attributor> attr;
  std::vector<traces::Record> recs;

  std::vector<std::string> run(const std::string& text, bool finish = true) {
    recs = test::records(text);
    Event e;
    for (const auto& r : recs) {
      cur.rec = &r;
      cur.override = nullptr;
      cur.span(1, 0);
      cur.end.line = r.line;
      decode(r, e);
      switch (e.kind) {
        case Ev::fill_list: attr->growth(e); break;
        case Ev::alloc:
        case Ev::dma_alloc: attr->alloc(e); break;
        case Ev::free:
        case Ev::dma_free: attr->free(e); break;
        case Ev::other: attr->other(r.pid); break;
        default: attr->page(e); break;
      }
    }
    cur.rec = nullptr;
    if (finish) attr->finish();
    return sink.log;
  }
};

std::string gnt(std::uint64_t us, const std::string& ev) { return test::line("gntdev", 212, 1, us, ev); }
std::string qemu(std::uint64_t us, const std::string& ev) { return test::line("qemu", 340, 2, us, ev); }

TEST(ReplayAttribution, PagesBeforeTheSummaryOfTheSameTask) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_alloc_page: pfn=0x4ffff") + qemu(2, "xen_unpop_alloc_page: pfn=0x4fffe") +
                     gnt(3, "xen_unpop_alloc_page: pfn=0x4fffd") + qemu(4, "xen_unpop_alloc: nr_pages=1 ret=0") +
                     gnt(5, "xen_unpop_alloc: nr_pages=2 ret=0"));
  ASSERT_EQ(log.size(), 4u) << ::testing::PrintToString(log);
  // Page events are in list_lock order: qemu's page at line 2 shows gntdev's first page was
  // taken before it, so that page goes to the sink then, filed at its own line, as a part.
  EXPECT_EQ(log[0], "alloc@1 plain nr=1 ret=0 pages=0x4ffff owner=gntdev-212 part");
  // gntdev's page at line 3 does the same for qemu's.
  EXPECT_EQ(log[1], "alloc@2 plain nr=1 ret=0 pages=0x4fffe owner=qemu-340 part");
  // The summaries close the calls: all of each call's pages, the leading ones already applied.
  EXPECT_EQ(log[2], "alloc@4 plain nr=1 ret=0 pages=0x4fffe owner=qemu-340 applied=1");
  EXPECT_EQ(log[3], "alloc@5 plain nr=2 ret=0 pages=0x4ffff, 0x4fffd owner=gntdev-212 applied=1");
}

// The interleaving of issue 17 (a real 6.12 capture, two gntdev users): A's page is taken
// under list_lock before B gives 8 pages back, but A's return probe fires after B's free. A's
// page goes to the sink at B's first page event, before B's pages go back on the list.
TEST(ReplayAttribution, PagesAreHandedOverInLockOrder) {
  Rig rig;
  std::string text = gnt(1, "xen_unpop_alloc_page: pfn=0x4ff96");
  for (int i = 0; i < 8; ++i) text += qemu(2 + i, fmt::format("xen_unpop_free_page: pfn={:#x}", 0x4ff60 + i));
  text += qemu(10, "xen_unpop_free: nr_pages=8") + gnt(11, "xen_unpop_alloc: nr_pages=1 ret=0");
  auto log = rig.run(text);
  ASSERT_EQ(log.size(), 3u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "alloc@1 plain nr=1 ret=0 pages=0x4ff96 owner=gntdev-212 part");
  EXPECT_EQ(log[1], "free@10 plain nr=8 pages=0x4ff60..0x4ff67 (8) owner=qemu-340");
  EXPECT_EQ(log[2], "alloc@11 plain nr=1 ret=0 pages=0x4ff96 owner=gntdev-212 applied=1");
}

// DMA pages are not handed over early: a genpool range is allocated and freed as a whole.
TEST(ReplayAttribution, DmaPagesWaitForTheirSummary) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_dma_alloc_page: pfn=0x4ff00") + qemu(2, "xen_unpop_dma_alloc_page: pfn=0x4fe00") +
                     qemu(3, "xen_unpop_dma_alloc: dev=b nr_pages=1 ret=0") +
                     gnt(4, "xen_unpop_dma_alloc: dev=a nr_pages=1 ret=0"));
  ASSERT_EQ(log.size(), 2u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "alloc@3 dma nr=1 ret=0 pages=0x4fe00 owner=b");
  EXPECT_EQ(log[1], "alloc@4 dma nr=1 ret=0 pages=0x4ff00 owner=a");
}

// A probe on the free's entry: the pages follow the summary and belong to it; the free is
// complete at nr_pages pages, and its findings are filed at the summary's line.
TEST(ReplayAttribution, EntryStyleFreeTakesTheFollowingPages) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages=2") +
                     qemu(2, "xen_unpop_free_page: pfn=0x10") +  // another task's page: not this free's
                     gnt(3, "xen_unpop_free_page: pfn=0x4ffff") + gnt(4, "xen_unpop_free_page: pfn=0x4fffe") +
                     gnt(5, "xen_unpop_free_page: pfn=0x4fffd"));
  ASSERT_EQ(log.size(), 4u) << ::testing::PrintToString(log);
  // qemu's page went back on the list before gntdev's first: handed over as a part at line 3.
  EXPECT_EQ(log[0], "free@2 plain nr=1 pages=0x10 owner=qemu-340 part");
  EXPECT_EQ(log[1], "free@1 plain nr=2 pages=0x4ffff..0x4fffe (2) owner=gntdev-212");
  // qemu's free and the return-style free the next page starts never get their summary:
  // incomplete at the end.
  EXPECT_EQ(log[2].rfind("warn@5 incomplete", 0), 0u) << log[2];
  EXPECT_EQ(log[3].rfind("warn@5 incomplete", 0), 0u) << log[3];
}

// An entry-style free without nr_pages closes at the task's next event that is not its page.
TEST(ReplayAttribution, EntryStyleFreeClosesAtTheTasksNextEvent) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_dma_free: (gnttab_dma_free_pages+0x0/0x40) dev=gntdev") +
                     gnt(2, "xen_unpop_dma_free_page: pfn=0x4ffff") + gnt(3, "sched_switch: prev_pid=212") +
                     gnt(4, "xen_unpop_alloc_page: pfn=0x4ffff") + gnt(5, "xen_unpop_alloc: nr_pages=1 ret=0"));
  ASSERT_EQ(log.size(), 2u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "free@1 dma nr=1 pages=0x4ffff owner=gntdev");
  EXPECT_EQ(log[1], "alloc@5 plain nr=1 ret=0 pages=0x4ffff owner=gntdev-212");
}

// Pages whose summary never comes (the task did something else) are count-mismatch.
TEST(ReplayAttribution, OrphanPagesAreCountMismatch) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_alloc_page: pfn=0x4ffff") + gnt(2, "xen_unpop_alloc_page: pfn=0x4fffe") +
                     gnt(3, "xen_unpop_free_page: pfn=0x48000") + gnt(4, "xen_unpop_free: nr_pages=1"));
  ASSERT_EQ(log.size(), 2u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0],
            "hold@3 count-mismatch: 2 xen_unpop_alloc_page events of gntdev-212 (from line 1: 0x4ffff..0x4fffe (2)) "
            "have no xen_unpop_alloc summary");
  EXPECT_EQ(log[1], "free@4 plain nr=1 pages=0x48000 owner=gntdev-212");
}

// Kprobes on request_resource: the entry half has the range, the return half ret=.
TEST(ReplayAttribution, GrowthHalvesMakeOneGrowth) {
  Rig rig;
  auto log = rig.run(
      gnt(1, "xen_unpop_fill_list: (request_resource+0x0/0x50) start=0x50000000 end=0x57ffffff name=\"Xen scratch\"") +
      gnt(2, "xen_unpop_fill_list: (request_resource+0x2c/0x50 <- fill_list) ret=0"));
  ASSERT_EQ(log.size(), 1u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "growth@2 pool=0 nr=0 range=0x50000000-0x57ffffff ret=0");
}

// An entry half without its return half is assumed to have succeeded when the task moves on,
// filed at the entry half's line.
TEST(ReplayAttribution, GrowthHalfWithoutReturnIsSettled) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_fill_list: (request_resource+0x0/0x50) start=0x50000000 end=0x57ffffff") +
                     gnt(2, "xen_unpop_alloc_page: pfn=0x57fff") + gnt(3, "xen_unpop_alloc: nr_pages=1 ret=0"));
  ASSERT_EQ(log.size(), 3u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "warn@1 assumed-growth");
  EXPECT_EQ(log[1], "growth@1 pool=0 nr=0 range=0x50000000-0x57ffffff ret=0");
  EXPECT_EQ(log[2], "alloc@3 plain nr=1 ret=0 pages=0x57fff owner=gntdev-212");
}

// A DMA pool of its own grows by the list's event: the task's next summary says which pool.
TEST(ReplayAttribution, DeferredGrowthTakesThePoolOfTheNextSummary) {
  const std::string grow = "xen_unpop_fill_list: nr_pages=1 start=0x48000000 end=0x4fffffff ret=0";
  Rig dma;
  dma.sink.defer = true;
  auto log = dma.run(gnt(1, grow) + gnt(2, "xen_unpop_dma_alloc_page: pfn=0x4ffff") +
                     gnt(3, "xen_unpop_dma_alloc: dev=gntdev nr_pages=1 ret=0"));
  ASSERT_EQ(log.size(), 2u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "growth@1 pool=1 nr=1 range=0x48000000-0x4fffffff ret=0");  // at its own event
  EXPECT_EQ(log[1], "alloc@3 dma nr=1 ret=0 pages=0x4ffff owner=gntdev");
  Rig plain;
  plain.sink.defer = true;
  log = plain.run(gnt(1, grow) + gnt(2, "xen_unpop_free: nr_pages=0"));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "growth@1 pool=0 nr=1 range=0x48000000-0x4fffffff ret=0");
  Rig named;  // pool= decides at once
  named.sink.defer = true;
  log = named.run(gnt(1, grow + " pool=dma"));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "growth@1 pool=1 nr=1 range=0x48000000-0x4fffffff ret=0");
  Rig end;  // still deferred at the end of the input: the main pool
  end.sink.defer = true;
  log = end.run(gnt(1, grow));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "growth@1 pool=0 nr=1 range=0x48000000-0x4fffffff ret=0");
}

TEST(ReplayAttribution, ForeignResourceAndUnknownRange) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_fill_list: (request_resource+0x0/0x50) start=0x1000 end=0x1fff name=\"PCI Bus\"") +
                     gnt(2, "xen_unpop_fill_list: nr_pages=1 start=0 end=0 ret=0"));
  ASSERT_EQ(log.size(), 3u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "warn@1 foreign-resource");
  EXPECT_EQ(log[1], "warn@2 unknown-growth");
  EXPECT_EQ(log[2], "growth@2 pool=0 nr=1 range=- ret=0");
  EXPECT_TRUE(rig.sink.pool_unknown);
}

// An entry-style free that has begun giving pages back has left its locked loop when another
// task's list page comes: it closes there, short of nr_pages (count-mismatch from the sink).
TEST(ReplayAttribution, EntryStyleFreeClosesAtAnotherTasksPage) {
  Rig rig;
  auto log = rig.run(gnt(1, "xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages=2") +
                     gnt(2, "xen_unpop_free_page: pfn=0x4ffff") + qemu(3, "xen_unpop_alloc_page: pfn=0x4ffff") +
                     qemu(4, "xen_unpop_alloc: nr_pages=1 ret=0"));
  ASSERT_EQ(log.size(), 2u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[0], "free@1 plain nr=2 pages=0x4ffff owner=gntdev-212");
  EXPECT_EQ(log[1], "alloc@4 plain nr=1 ret=0 pages=0x4ffff owner=qemu-340");
}

// The error of a malformed field comes after what the event closed before reading it.
TEST(ReplayAttribution, MalformedFieldAfterTheOpenFreeCloses) {
  Rig rig;
  rig.recs = test::records(gnt(1, "xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages=1") +
                           gnt(2, "xen_unpop_fill_list: nr_pages=1 start=0x48000000 end=0x4fffffff ret=zz"));
  Event e;
  rig.cur.rec = &rig.recs[0];
  decode(rig.recs[0], e);
  rig.attr->free(e);
  rig.cur.rec = &rig.recs[1];
  decode(rig.recs[1], e);
  EXPECT_THROW(rig.attr->growth(e), InputError);
  ASSERT_EQ(rig.sink.log.size(), 1u);
  EXPECT_EQ(rig.sink.log[0], "free@1 plain nr=1 pages=(none) owner=gntdev-212");
}

}  // namespace
}  // namespace unpop::replay
