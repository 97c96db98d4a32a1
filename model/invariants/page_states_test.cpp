// set_pages (hinted inserts after one search) must leave exactly the map that ICL's own `set`
// leaves, on random histories that hit every shape: gaps, exact segments, inside a segment,
// across several segments, absorbed (none) tags, joins with equal neighbours.
#include "model/invariants/page_states.h"

#include <random>

#include <gtest/gtest.h>

namespace unpop {
namespace {

TEST(PageStates, SetPagesEqualsIclSetOnRandomHistories) {
  std::mt19937_64 rnd(7);
  for (int history = 0; history < 200; ++history) {
    PageStates fast, ref;
    for (int step = 0; step < 300; ++step) {
      Pfn lo = rnd() % 64;
      Pfn hi = lo + rnd() % (rnd() % 4 == 0 ? 16 : 3);
      // few distinct tags, so equal neighbours (joins) are common
      PageTag tag{static_cast<std::uint32_t>(rnd() % 3), static_cast<PageState>(rnd() % 4)};
      if (tag.state == PageState::none) tag.owner = 0;
      PageIv iv(lo, hi);
      set_pages(fast, first_overlap(fast, iv), iv, tag);
      ref.set({iv, tag});
      ASSERT_EQ(fast, ref) << "history " << history << " step " << step << " set [" << lo << "," << hi << "]";
    }
  }
}

TEST(PageStates, TouchingRunsOfOneTagJoin) {
  PageStates m;
  for (Pfn p = 10; p < 20; ++p) set_pages(m, first_overlap(m, PageIv(p, p)), PageIv(p, p), PageTag{1, PageState::live_plain});
  EXPECT_EQ(m.iterative_size(), 1u);  // one allocation's contiguous pages: one segment
  set_pages(m, first_overlap(m, PageIv(14, 14)), PageIv(14, 14), PageTag{2, PageState::live_dma});
  EXPECT_EQ(m.iterative_size(), 3u);
  set_pages(m, first_overlap(m, PageIv(10, 19)), PageIv(10, 19), PageTag{2, PageState::live_dma});
  EXPECT_EQ(m.iterative_size(), 1u);
}

}  // namespace
}  // namespace unpop
