#pragma once
/// The live pages the checker knows — for which allocation, through which path — as runs of
/// pages, found by hashing instead of searching a tree.
///
/// Why not a Boost.ICL interval_map here (the rest of the checker's sets are ICL): replaying a
/// trace asks "which live runs overlap [lo, hi]?" once per page run handed out or given back,
/// with pfns scattered by the LIFO free list. In an interval_map that is a red-black-tree search
/// with an unpredictable branch per level, an allocation per insert and a rebalance per erase:
/// ~150 ns per run, more than half of a 1M-event replay (bench/replay_bench.sh; docs/replay.md).
/// Here the pfn space is cut into blocks of kBlockPages pages; a hash table maps a block to
/// the sorted runs inside it (runs are clipped at block borders). A short run is one hash
/// lookup and a scan of a few runs.
///
/// Memory: one block per kBlockPages pages that hold live pages, plus one entry per run per
/// block it crosses — O(live runs + live pages / kBlockPages), never one object per page;
/// emptied blocks are dropped once they are half of the table, so memory follows the live
/// state, not the trace length.
/// Block size: the LIFO list keeps recycling the same few thousand pfns, so live runs crowd
/// into few blocks; 16 pages keeps a block's sorted vector short (at most 16 runs) while a
/// 2025-page Full HD DMA buffer still costs only 127 entries (measured 256/64/16 pages:
/// main-thread replay time 0.33 / 0.21 / 0.19 s on the 1M-event benchmark).
/// live_index_test.cpp checks it against a Boost.ICL interval_map on random histories.
#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "model/core/own_cache.h"
#include "model/core/range.h"

namespace unpop {

enum class PageState : std::uint8_t {
  none = 0,
  live_plain,  // handed out by the plain path
  live_dma,    // handed out by the DMA path
  live_ram,    // real RAM handed out (balloon / CMA)
};

struct PageTag {
  std::uint32_t owner = 0;  // allocation id
  PageState state = PageState::none;
  friend bool operator==(const PageTag&, const PageTag&) = default;
};

class LiveIndex {
 public:
  static constexpr unsigned kBlockShift = 4;  // 16 pages
  static constexpr Pfn kBlockPages = Pfn{1} << kBlockShift;

  struct Run {
    Pfn lo, hi;  // inclusive
    PageTag tag;
  };
  LiveIndex() = default;
  LiveIndex(const LiveIndex&) = default;  // (a copy starts with an empty block cache)
  LiveIndex& operator=(const LiveIndex&) = delete;

  /// Calls f(const Run&) for every live run overlapping [lo, hi], clipped to it, in pfn order.
  /// Runs of one tag that touch across a block border come as two pieces.
  template <class F>
  void for_each_overlap(Pfn lo, Pfn hi, F&& f) const {
    for (Pfn b = lo >> kBlockShift;; ++b) {
      if (const Block* blk = find(b)) {
        const auto& v = blk->runs;
        auto r = std::lower_bound(v.begin(), v.end(), lo, [](const Run& x, Pfn p) { return x.hi < p; });
        for (; r != v.end() && r->lo <= hi; ++r) f(Run{std::max(r->lo, lo), std::min(r->hi, hi), r->tag});
      }
      if (b == hi >> kBlockShift) break;
    }
  }
  /// As for_each_overlap, and also gap(a, b) for every stretch [a, b] of [lo, hi] that is not
  /// live, in pfn order (a free gives back pages; those that were not live are findings).
  template <class F, class G>
  void walk(Pfn lo, Pfn hi, F&& f, G&& gap) const {
    Pfn next = lo;     // first page not yet seen
    bool rest = true;  // pages from `next` to hi remain
    for_each_overlap(lo, hi, [&](const Run& r) {
      if (r.lo > next) gap(next, r.lo - 1);
      rest = r.hi < hi;
      next = r.hi + (rest ? 1 : 0);
      f(r);
    });
    if (rest) gap(next, hi);
  }

  /// Every page of [lo, hi] becomes live with `tag` (whatever it was).
  void set(Pfn lo, Pfn hi, PageTag tag);
  /// No page of [lo, hi] is live any more.
  void erase(Pfn lo, Pfn hi);

  /// Every run, joined across block borders, in pfn order (O(runs log runs): for reports).
  std::vector<Run> runs() const;
  std::size_t run_pieces() const;  // stored pieces (for tests and benchmarks)
  std::size_t blocks() const { return blocks_.size(); }  // including emptied ones not yet dropped

 private:
  struct Block {
    boost::container::small_vector<Run, 4> runs;  // sorted, disjoint, equal touching runs joined
  };
  // Within one block: [lo, hi] (inside the block) set to tag, or cleared when tag is none.
  static void assign(Block& blk, Pfn lo, Pfn hi, PageTag tag);
  void sweep();  // drops the empty blocks
  // The block, or nullptr. A check is followed by a change of the same block (allocate: look,
  // then set; free: look, then erase): the last block found is remembered. Elements of an
  // unordered_map stay where they are until erased, so the pointer stays valid until then.
  // (A direct-mapped cache of 64 blocks was measured 8 % slower on the 1M-event benchmark.)
  const Block* find(Pfn b) const {
    if (b == cache_.b && cache_.blk) return cache_.blk;
    auto it = blocks_.find(b);
    if (it == blocks_.end()) return nullptr;
    cache_.b = b;
    cache_.blk = const_cast<Block*>(&it->second);
    return cache_.blk;
  }
  struct Cache {  // the last block found (it points into blocks_)
    Pfn b = 0;
    Block* blk = nullptr;
  };

  std::unordered_map<Pfn, Block> blocks_;
  mutable OwnCache<Cache> cache_;
  std::size_t empty_ = 0;  // blocks with no run
};

}  // namespace unpop
