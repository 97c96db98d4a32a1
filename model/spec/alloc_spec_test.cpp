// Differential tests: the generic spec (uint64_t instantiation) against the model's own data
// structures, on many random inputs. The solver instantiates the same templates with z3::expr,
// so agreement here is what ties a Z3 answer to the model's behaviour.
#include "model/spec/alloc_spec.h"

#include <random>

#include <gtest/gtest.h>

#include "model/core/range.h"
#include "model/linux/genpool.h"
#include "model/linux/resource_tree.h"

namespace unpop {
namespace {

constexpr spec::U64 d{};

TEST(AllocSpec, RoundingMatchesKernelMacros) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t m = std::uint64_t{1} << (rng() % 30);
    std::uint64_t x = rng() % (std::uint64_t{1} << 48);
    EXPECT_EQ(spec::align_up(d, x, m), align_up(x, m));
    EXPECT_EQ(spec::align_down(d, x, m), align_down(x, m));
    EXPECT_EQ(spec::is_aligned(d, x, m), is_aligned(x, m));
    if (x > 0) {
      EXPECT_EQ(spec::fill_pages(d, x, m), round_up(x, m));
    }
  }
  // Wrap-around near 2^64 behaves as the kernel's ALIGN (and fit_in_gap refuses it).
  const std::uint64_t top = ~std::uint64_t{0} - 5;
  EXPECT_EQ(spec::align_up(d, top, 4096), align_up(top, 4096));
  EXPECT_FALSE(spec::fit_in_gap(d, top, ~std::uint64_t{0}, 1, 4096).fits);
}

TEST(AllocSpec, GrowthWholeSections) {
  const std::uint64_t sec = 128ull << 20;
  EXPECT_TRUE(spec::growth_whole_sections(d, sec, 3 * sec - 1, sec));
  EXPECT_FALSE(spec::growth_whole_sections(d, sec, 3 * sec, sec));      // range-end-off-by-one
  EXPECT_FALSE(spec::growth_whole_sections(d, sec + 4096, 3 * sec - 1, sec));
  EXPECT_FALSE(spec::growth_whole_sections(d, 3 * sec, 3 * sec - 1, sec));
}

// gen_pool_alloc with gen_pool_best_fit, recomputed from the spec's predicates over the free
// runs of every chunk (newest first), against GenPool::alloc.
std::optional<Pfn> spec_genpool_alloc(const GenPool& p, std::uint64_t n) {
  for (const auto& c : p.chunks()) {
    if (!spec::chunk_may_serve(d, c.avail, n)) continue;
    std::optional<std::pair<std::uint64_t, Pfn>> best;
    for (const auto& [s, len] : c.free)
      if (spec::run_fits(d, len, n) && (!best || spec::better_fit(d, len, s, best->first, best->second)))
        best = {len, s};
    if (best) return best->second;
  }
  return std::nullopt;
}

TEST(AllocSpec, GenPoolBestFitAgreesWithModel) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    GenPool pool;
    std::vector<std::pair<Pfn, std::uint64_t>> live;
    Pfn next = 0x1000;
    for (int step = 0; step < 60; ++step) {
      int what = static_cast<int>(rng() % 10);
      if (what == 0 || pool.chunks().empty()) {
        std::uint64_t pages = 8 + rng() % 64;
        pool.add_chunk(next, pages);
        next += pages + (rng() % 2) * 16;  // adjacent or not
      } else if (what < 7) {
        std::uint64_t n = 1 + rng() % 24;
        auto want = spec_genpool_alloc(pool, n);
        auto got = pool.alloc(n);
        ASSERT_EQ(want, got) << "round " << round << " step " << step << " n " << n;
        if (got) live.push_back({*got, n});
      } else if (!live.empty()) {
        std::size_t i = rng() % live.size();
        ASSERT_EQ(pool.free(live[i].first, live[i].second), GenPool::FreeResult::ok);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
}

// allocate_resource(): the lowest gap whose ALIGN(gap start) fits, from the spec, against
// ResourceTree::allocate.
TEST(AllocSpec, AllocateResourceAgreesWithModel) {
  std::mt19937_64 rng(11);
  const std::uint64_t unit = 1 << 20;
  for (int round = 0; round < 400; ++round) {
    ResourceTree t;
    ResId root = t.make_root("root", Range{0, 1024 * unit - 1});
    std::vector<Range> kids;
    for (int i = 0; i < 6; ++i) {
      Addr s = (rng() % 1000) * unit + (rng() % 2) * 4096;
      Range r{s, s + (1 + rng() % 64) * unit - 1};
      ResId id = t.make("child", r);
      if (t.request(root, id) == 0) kids.push_back(r);
    }
    std::sort(kids.begin(), kids.end());
    std::uint64_t size = (1 + rng() % 96) * unit;
    std::uint64_t align = std::uint64_t{1} << (20 + rng() % 8);
    Addr min = (rng() % 200) * unit, max = 1024 * unit - 1 - (rng() % 200) * unit;
    // Gaps between the sorted children, clipped to [min, max].
    std::optional<Addr> want;
    Addr cursor = 0;
    auto consider = [&](Addr gs, Addr ge) {
      if (want) return;
      gs = std::max(gs, min);
      ge = std::min(ge, max);
      if (gs > ge) return;
      auto f = spec::fit_in_gap(d, gs, ge, size, align);
      if (f.fits) want = f.start;
    };
    for (const Range& k : kids) {
      if (k.start > cursor) consider(cursor, k.start - 1);
      cursor = std::max(cursor, k.end + 1);
    }
    consider(cursor, 1024 * unit - 1);
    ResId node = t.make("new");
    int ret = t.allocate(root, node, size, min, max, align);
    ASSERT_EQ(ret == 0, want.has_value()) << "round " << round;
    if (want) {
      EXPECT_EQ(t.get(node).range.start, *want);
    }
  }
}

}  // namespace
}  // namespace unpop
