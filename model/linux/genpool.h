#pragma once
/// lib/genalloc.c as the RFC and V1 use it: gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE) with
/// gen_pool_best_fit, one bit per page, chunks added at the list head (newest first), an
/// allocation never spanning chunks. Free space per chunk is kept as runs (start -> length,
/// plus a (length, start) index for best fit) instead of the kernel's bitmap: same answers,
/// O(log n) per operation instead of a bitmap scan.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "model/core/page_seq.h"
#include "model/core/range.h"

namespace unpop {

class GenPool {
 public:
  enum class FreeResult { ok, bug_no_chunk, bug_beyond_chunk, bug_already_free };

  struct Chunk {
    Pfn first = 0;
    std::uint64_t pages = 0;
    std::uint64_t avail = 0;                 // chunk->avail, in pages
    std::map<Pfn, std::uint64_t> free;       // free runs by start
    std::set<std::pair<std::uint64_t, Pfn>> by_len;  // (length, start) for best fit
    Pfn last() const { return first + pages - 1; }
  };

  /// gen_pool_add_virt(): a new chunk at the head of the list, all pages free.
  void add_chunk(Pfn first, std::uint64_t pages);
  /// gen_pool_alloc(): first chunk (newest first) with avail >= n whose best-fit run fits.
  std::optional<Pfn> alloc(std::uint64_t n);
  /// gen_pool_free(): BUG()s of the kernel are returned, the pool is then unchanged.
  FreeResult free(Pfn first, std::uint64_t n);
  /// gen_pool_has_addr(pool, start, size): inside one chunk.
  bool has(Pfn first, std::uint64_t n) const;

  std::uint64_t avail() const;   // gen_pool_avail, in pages
  std::uint64_t size() const;    // gen_pool_size, in pages
  const std::vector<Chunk>& chunks() const { return chunks_; }  // index 0 = newest
  /// Longest free run inside any one chunk (what a single allocation can get).
  std::uint64_t largest_free_run() const;

 private:
  static void take(Chunk& c, Pfn start, std::uint64_t len, Pfn at, std::uint64_t n);
  static void give(Chunk& c, Pfn first, std::uint64_t n);
  Chunk* find(Pfn pfn);
  std::vector<Chunk> chunks_;  // newest first
};

/// The upstream free list: `page_list` chained through page->zone_device_data (LIFO), with
/// `list_count` kept beside it as the kernel keeps it. Pages are stored as runs: pushing a
/// fresh section is one run, popping splits at most one run.
class PageList {
 public:
  /// Pushes pages in order (the last one pushed is the next popped).
  void push(const PageSeq& pages);
  /// Pops n pages (n <= length()), in the order the kernel's loop takes them.
  PageSeq pop(std::uint64_t n);
  /// Mutant `fifo-order`: takes from the bottom of the stack instead.
  PageSeq pop_bottom(std::uint64_t n);
  std::uint64_t length() const { return length_; }
  /// The pfns in pop order, first max_runs runs (for display).
  PageSeq peek(std::uint64_t n) const;

 private:
  // stack_.back() is the run popped next; a run's `first` is its next page to pop.
  std::vector<PageRun> stack_;
  std::uint64_t length_ = 0;
};

}  // namespace unpop
