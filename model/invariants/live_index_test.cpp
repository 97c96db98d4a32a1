// LiveIndex against a Boost.ICL interval_map (the structure it replaces on the hot path) on
// random histories of set/erase with few tags (joins), short and block-crossing runs, and
// pfns near block borders.
#include "model/invariants/live_index.h"

#include <random>

#include <boost/icl/interval_map.hpp>
#include <gtest/gtest.h>

namespace unpop {
namespace {

// ICL's codomain needs combining operators; set() never combines, so they assign.
struct RefTag {
  PageTag t;
  friend bool operator==(const RefTag&, const RefTag&) = default;
  RefTag& operator+=(const RefTag& o) { return *this = o; }
  RefTag& operator-=(const RefTag&) { return *this = RefTag{}; }
};
[[maybe_unused]] std::ostream& operator<<(std::ostream& os, const RefTag& r) { return os << r.t.owner; }
using Ref = boost::icl::interval_map<Pfn, RefTag>;

std::vector<LiveIndex::Run> ref_runs(const Ref& m) {
  std::vector<LiveIndex::Run> out;
  for (const auto& [iv, tag] : m) out.push_back({boost::icl::first(iv), boost::icl::last(iv), tag.t});
  return out;
}

bool same(const std::vector<LiveIndex::Run>& a, const std::vector<LiveIndex::Run>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].lo != b[i].lo || a[i].hi != b[i].hi || !(a[i].tag == b[i].tag)) return false;
  return true;
}

TEST(LiveIndex, EqualsAnIclIntervalMapOnRandomHistories) {
  std::mt19937_64 rnd(11);
  const Pfn base = 5 * LiveIndex::kBlockPages - 40;  // runs straddle block borders
  for (int history = 0; history < 150; ++history) {
    LiveIndex idx;
    Ref ref;
    for (int step = 0; step < 400; ++step) {
      Pfn lo = base + rnd() % 600;
      Pfn len = rnd() % 8 == 0 ? rnd() % 700 : rnd() % 4;
      Pfn hi = lo + len;
      if (rnd() % 3 == 0) {
        idx.erase(lo, hi);
        ref.erase(Ref::interval_type::closed(lo, hi));
      } else {
        PageTag tag{static_cast<std::uint32_t>(1 + rnd() % 3), static_cast<PageState>(1 + rnd() % 3)};
        idx.set(lo, hi, tag);
        ref.set({Ref::interval_type::closed(lo, hi), RefTag{tag}});
      }
      ASSERT_TRUE(same(idx.runs(), ref_runs(ref))) << "history " << history << " step " << step;
      // The overlap query yields exactly the reference's pieces of a random window.
      Pfn qlo = base + rnd() % 700, qhi = qlo + rnd() % 300;
      std::uint64_t got = 0, want = 0;
      idx.for_each_overlap(qlo, qhi, [&](const LiveIndex::Run& r) {
        EXPECT_LE(qlo, r.lo);
        EXPECT_LE(r.hi, qhi);
        got += r.hi - r.lo + 1;
      });
      want = boost::icl::cardinality(ref & Ref::interval_type::closed(qlo, qhi));
      ASSERT_EQ(got, want);
      // walk: the live pieces and the gaps tile the window, in order.
      Pfn at = qlo;
      std::uint64_t gaps = 0;
      idx.walk(
          qlo, qhi, [&](const LiveIndex::Run& r) { ASSERT_EQ(r.lo, at); at = r.hi + 1; },
          [&](Pfn a, Pfn b) {
            ASSERT_EQ(a, at);
            gaps += b - a + 1;
            at = b + 1;
          });
      ASSERT_EQ(at, qhi + 1);
      ASSERT_EQ(gaps + want, qhi - qlo + 1);
    }
  }
}

// A copy (replay's candidates split) is an index of its own: each goes on with its own history
// and matches its own reference; neither sees the other's changes through the block cache.
TEST(LiveIndex, ACopyGoesOnWithItsOwnHistory) {
  std::mt19937_64 rnd(12);
  auto step = [&](LiveIndex& idx, Ref& ref) {
    const Pfn lo = rnd() % 200, hi = lo + rnd() % 20;
    if (rnd() % 3 == 0) {
      idx.erase(lo, hi);
      ref.erase(Ref::interval_type::closed(lo, hi));
    } else {
      const PageTag tag{static_cast<std::uint32_t>(1 + rnd() % 3), PageState::live_plain};
      idx.set(lo, hi, tag);
      ref.set({Ref::interval_type::closed(lo, hi), RefTag{tag}});
    }
  };
  for (int history = 0; history < 50; ++history) {
    LiveIndex a;
    Ref ra;
    for (int i = 0; i < 100; ++i) step(a, ra);
    LiveIndex b = a;
    Ref rb = ra;
    for (int i = 0; i < 100; ++i) {
      step(a, ra);
      step(b, rb);
      ASSERT_TRUE(same(a.runs(), ref_runs(ra))) << "history " << history << " step " << i;
      ASSERT_TRUE(same(b.runs(), ref_runs(rb))) << "history " << history << " step " << i;
    }
  }
}

TEST(LiveIndex, OneAllocationsContiguousPagesAreOneRunPerBlock) {
  static_assert(LiveIndex::kBlockPages >= 16);
  LiveIndex idx;
  const Pfn b0 = 4 * LiveIndex::kBlockPages;
  for (Pfn p = b0 + 2; p < b0 + 12; ++p) idx.set(p, p, PageTag{1, PageState::live_plain});
  EXPECT_EQ(idx.run_pieces(), 1u);
  idx.erase(b0 + 5, b0 + 5);
  EXPECT_EQ(idx.run_pieces(), 2u);
  idx.erase(b0, b0 + LiveIndex::kBlockPages - 1);
  EXPECT_EQ(idx.run_pieces(), 0u);
  idx.set(0, 3 * LiveIndex::kBlockPages - 1, PageTag{2, PageState::live_dma});
  EXPECT_EQ(idx.run_pieces(), 3u);   // clipped at the two block borders
  EXPECT_EQ(idx.runs().size(), 1u);  // joined again when listed
}

// Memory follows the live runs: after many pages come and go in distinct blocks, the emptied
// blocks are dropped.
TEST(LiveIndex, EmptiedBlocksAreDropped) {
  LiveIndex idx;
  for (Pfn b = 0; b < 10000; ++b) {
    const Pfn p = b * LiveIndex::kBlockPages;
    idx.set(p, p, PageTag{1, PageState::live_plain});
    idx.erase(p, p);
  }
  idx.set(5, 5, PageTag{1, PageState::live_plain});
  EXPECT_EQ(idx.run_pieces(), 1u);
  EXPECT_LE(idx.blocks(), 200u);
}

}  // namespace
}  // namespace unpop
