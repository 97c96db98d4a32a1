// lib/genalloc.c as the RFC/V1 use it (gen_pool_best_fit, chunks newest first) and the upstream
// page_list (LIFO through page->zone_device_data).
#include "model/linux/genpool.h"

#include <random>

#include <gtest/gtest.h>

namespace unpop {
namespace {

TEST(GenPool, BestFitTakesSmallestRunThenLowestAddress) {
  GenPool p;
  p.add_chunk(0x1000, 100);
  // Carve free runs of 10 (at 0x1000), 30, 20 pages.
  ASSERT_EQ(p.alloc(100), 0x1000u);
  ASSERT_EQ(p.free(0x1000, 10), GenPool::FreeResult::ok);
  ASSERT_EQ(p.free(0x1020, 30), GenPool::FreeResult::ok);
  ASSERT_EQ(p.free(0x1050, 20), GenPool::FreeResult::ok);
  EXPECT_EQ(p.alloc(15), 0x1050u);  // gen_pool_best_fit: the 20-page run, not the 30
  EXPECT_EQ(p.alloc(10), 0x1000u);  // exact fit returns early
  EXPECT_EQ(p.avail(), 35u);
}

TEST(GenPool, NewestChunkFirstAndNoAllocationAcrossChunks) {
  GenPool p;
  p.add_chunk(0x1000, 64);  // older
  p.add_chunk(0x1040, 64);  // newer, adjacent in IPA
  EXPECT_EQ(p.chunks().front().first, 0x1040u);  // list_add_rcu: at the head
  EXPECT_EQ(p.alloc(8), 0x1040u);
  // 100 contiguous pages exist across the border (0x1000..0x107f) but no chunk holds them.
  EXPECT_FALSE(p.alloc(100).has_value());
  EXPECT_EQ(p.largest_free_run(), 64u);
}

TEST(GenPool, SkipsChunkWhoseAvailIsTooSmall) {
  GenPool p;
  p.add_chunk(0x1000, 16);
  p.add_chunk(0x2000, 8);
  EXPECT_EQ(p.alloc(12), 0x1000u);  // "if (size > atomic_long_read(&chunk->avail)) continue"
}

TEST(GenPool, FreeBugsLikeTheKernel) {
  GenPool p;
  p.add_chunk(0x1000, 16);
  ASSERT_EQ(p.alloc(4), 0x1000u);
  EXPECT_EQ(p.free(0x9000, 1), GenPool::FreeResult::bug_no_chunk);        // BUG()
  EXPECT_EQ(p.free(0x100e, 4), GenPool::FreeResult::bug_beyond_chunk);    // BUG_ON(addr + size - 1 > end)
  EXPECT_EQ(p.free(0x1002, 4), GenPool::FreeResult::bug_already_free);    // bitmap_clear_ll -> BUG_ON(remain)
  EXPECT_EQ(p.free(0x1000, 4), GenPool::FreeResult::ok);
  EXPECT_EQ(p.avail(), 16u);
  EXPECT_TRUE(p.has(0x1000, 16));
  EXPECT_FALSE(p.has(0x1008, 16));  // gen_pool_has_addr: inside one chunk
}

TEST(PageList, FreshSectionComesOutDescending) {
  // fill_list pushes pages in ascending order onto a LIFO: the head is the highest page.
  PageList l;
  l.push(PageSeq::ascending(0x48000, 8));
  EXPECT_EQ(l.pop(3), PageSeq::descending(0x48007, 3));
  EXPECT_EQ(l.length(), 5u);
}

TEST(PageList, FreedPagesComeBackFirstInReverseOrder) {
  PageList l;
  l.push(PageSeq::ascending(0x48000, 8));
  PageSeq got = l.pop(4);  // 0x48007..0x48004
  l.push(got);             // xen_free_unpopulated_pages pushes pages[0..n-1]: pages[n-1] is the new head
  EXPECT_EQ(l.pop(4), PageSeq::ascending(0x48004, 4));
  EXPECT_EQ(l.pop(4), PageSeq::descending(0x48003, 4));
  EXPECT_EQ(l.length(), 0u);
}

TEST(PageList, FifoMutantTakesTheOldestPages) {
  PageList l;
  l.push(PageSeq::ascending(0x100, 4));
  l.push(PageSeq::ascending(0x200, 4));
  EXPECT_EQ(l.pop_bottom(2), PageSeq::ascending(0x100, 2));
}

TEST(PageSeq, RunsMergeAndSlice) {
  PageSeq s;
  for (Pfn p = 10; p < 20; ++p) s.push_back(p);
  EXPECT_EQ(s.runs().size(), 1u);
  EXPECT_TRUE(s.contiguous_ascending());
  s.push_back(30);
  EXPECT_EQ(s.first_gap(), 10u);
  EXPECT_EQ(s.slice(8, 3), [] {
    PageSeq t;
    t.push_back(18);
    t.push_back(19);
    t.push_back(30);
    return t;
  }());
  EXPECT_FALSE(PageSeq::descending(9, 3).contiguous_ascending());
}

// push_back (inline, on the replay's hot path) builds the same runs as appending 1-page runs,
// including descending runs, direction changes and pfn 0.
TEST(PageSeq, PushBackEqualsAppendingOnePageRuns) {
  std::mt19937_64 rnd(3);
  for (int k = 0; k < 500; ++k) {
    PageSeq a, b;
    Pfn p = rnd() % 4;
    for (int i = 0; i < 40; ++i) {
      int move = static_cast<int>(rnd() % 5);  // +1, -1, same, jump
      if (move == 0) ++p;
      else if (move == 1 && p > 0) --p;
      else if (move == 2) p = rnd() % 8;
      a.push_back(p);
      b.append(PageRun{p, 1, 1});
      ASSERT_EQ(a, b) << "sequence " << k << " step " << i;
    }
  }
}

}  // namespace
}  // namespace unpop
