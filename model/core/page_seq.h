#pragma once
/// An ordered sequence of pfns stored as runs, never one object per page.
///
/// `pages[]` arrays of the kernel are ordered (the free list is LIFO, so the order in which
/// pages come out is part of the behaviour we model). A run is `count` pfns starting at
/// `first` and stepping by +1 or -1: a fresh section popped from the LIFO is one descending
/// run, the same pages pushed back and popped again are one ascending run.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "model/core/range.h"

namespace unpop {

struct PageRun {
  Pfn first = 0;
  std::uint64_t count = 0;
  int step = 1;  // +1 ascending, -1 descending; a 1-page run is stored with step +1

  Pfn last() const { return step > 0 ? first + count - 1 : first - (count - 1); }
  Pfn lo() const { return step > 0 ? first : last(); }
  Pfn hi() const { return step > 0 ? last() : first; }
  Pfn at(std::uint64_t i) const { return step > 0 ? first + i : first - i; }
  friend bool operator==(const PageRun&, const PageRun&) = default;
};

class PageSeq {
 public:
  PageSeq() = default;
  static PageSeq ascending(Pfn first, std::uint64_t count);
  static PageSeq descending(Pfn first, std::uint64_t count);

  /// Appends one pfn, extending the last run when it continues it (inline: trace replay
  /// appends every page event's pfn).
  void push_back(Pfn pfn) {
    ++size_;
    if (!runs_.empty()) {
      PageRun& last = runs_.back();
      const Pfn tail = last.last();
      if ((last.count == 1 || last.step > 0) && pfn == tail + 1) {
        last.step = 1;
        ++last.count;
        return;
      }
      if ((last.count == 1 || last.step < 0) && tail != 0 && pfn == tail - 1) {
        last.step = -1;
        ++last.count;
        return;
      }
    }
    runs_.push_back(PageRun{pfn, 1, 1});
  }
  /// Appends a run (merging with the last run where it continues it).
  void append(const PageRun& run);
  void append(const PageSeq& other);

  /// Empties the sequence, keeping its storage for the next pages.
  void clear() {
    runs_.clear();
    size_ = 0;
  }
  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::vector<PageRun>& runs() const { return runs_; }
  Pfn front() const { return runs_.front().first; }
  Pfn at(std::uint64_t i) const;  // O(runs)

  /// The sub-sequence [offset, offset+count).
  PageSeq slice(std::uint64_t offset, std::uint64_t count) const;
  /// True iff the pfns are first, first+1, ..., first+size-1 (IPA-contiguous, ascending).
  bool contiguous_ascending() const;
  /// Index of the first page that does not continue its predecessor (+1), or size() if none.
  std::uint64_t first_gap() const;

  /// "0x80000-0x80007 (8)" style summary, runs joined by ", "; at most `max_runs` runs shown.
  std::string describe(std::size_t max_runs = 4) const;

  friend bool operator==(const PageSeq&, const PageSeq&) = default;

 private:
  std::vector<PageRun> runs_;
  std::uint64_t size_ = 0;
};

/// GoogleTest printer: shows runs instead of bytes.
inline void PrintTo(const PageSeq& s, std::ostream* os) { *os << s.describe(8); }

}  // namespace unpop
