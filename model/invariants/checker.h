#pragma once
/// Every rule of docs/rules.md, checked incrementally as the allocator's observable events
/// arrive (from the model or from a trace): each event costs O(runs * log n), never a rescan.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/icl/interval_map.hpp>
#include <boost/icl/interval_set.hpp>
#include <boost/icl/separate_interval_set.hpp>

#include "model/core/geometry.h"
#include "model/core/observer.h"
#include "model/core/own_cache.h"
#include "model/invariants/finding.h"
#include "model/invariants/live_index.h"
#include "model/layout/layout.h"
#include "model/linux/genpool.h"

namespace unpop {

// Membership sets: interval_set joins touching intervals, which is what "is this page in
// the pool / live" needs.
using PfnSet = boost::icl::interval_set<Pfn>;
using AddrSet = boost::icl::interval_set<Addr>;

class Checker : public Observer {
 public:
  struct Options {
    bool expect_lifo = false;  // list-based allocator: check order-mismatch against a LIFO
    bool liveness = true;      // spurious-enomem / ram-stolen
    /// Steps are the ops of a case (Runner, the suites): an allocation is named by its op,
    /// "allocation #K", as the script language's `free #K` refers to it. Otherwise (replay)
    /// allocations are numbered in the order they happened and steps are trace lines.
    bool steps_are_ops = false;
    friend bool operator==(const Options&, const Options&) = default;
  };
  Checker(const Layout& layout, const Geometry& geo, Options opt);
  /// A copy checks on from the same state (replay's lockstep candidates split:
  /// traces/replay/lockstep.h); it shares nothing with the original.
  Checker(const Checker&) = default;
  Checker& operator=(const Checker&) = delete;

  /// region-overlap and Xen's input rules (2 MiB alignment, 64 MiB minimum) on the layout.
  std::vector<Finding> layout_findings() const;
  /// Usable space for the liveness rules: could `nr` pages (contiguous for DMA, below
  /// max_addr) come from free pool pages plus unused whole sections of the target?
  bool could_serve(std::uint64_t nr, bool contiguous, Addr max_addr) const;
  /// Declares that all users are gone: every live allocation is a `leak`.
  void drained();

  void set_step(std::size_t s) { step_ = s; }
  std::vector<Finding> take();  // findings since the last take()
  bool has_pending() const { return !pending_.empty(); }
  const std::vector<Finding>& all() const { return all_; }

  // Observer
  void target_built(Target t, std::optional<Range> span, const std::vector<Range>& holes, int ret) override;
  void growth(int pool, std::uint64_t nr, std::optional<Range> range, int ret) override;
  void seeded(int pool, const Range& r) override;
  void allocated(const AllocEvent& e) override;
  void freed(const FreeEvent& e) override;
  void counts(const CountReport& c) override;
  void claimed(const Range& r, const std::string& name, bool is_ram) override;
  void kernel_bug(const std::string& what) override;

  // Views, for reports and pictures.
  Target target() const { return target_; }
  const PfnSet& pool() const { return pool_all_; }
  /// Live pool pages (built from the page map: O(runs), for reports and tests).
  PfnSet live() const;
  const boost::icl::separate_interval_set<Addr>& growths() const { return growths_; }
  std::uint64_t live_pages() const { return live_count_; }
  std::uint64_t pool_pages() const { return boost::icl::cardinality(pool_all_); }
  /// Pages of a pool (kMainPool, kDmaPool) not live: what its free list holds.
  std::uint64_t free_in_pool(int pool) const {
    const int p = pool == kDmaPool ? 1 : 0;
    return boost::icl::cardinality(pool_[p]) - live_in_pool_[p];
  }
  std::uint64_t ram_live_pages() const { return ram_live_count_; }
  struct Alloc {
    std::string owner;
    int caller = 0;
    std::size_t step = 0;
    Path path = Path::plain;
    Source source = Source::pool;
    PageSeq pages;
    std::uint64_t live = 0;  // pages of it still live
  };
  const std::map<unsigned, Alloc>& live_allocs() const { return allocs_; }

 private:
  void report(const char* rule, std::string msg, std::vector<NamedRange> ranges = {},
              std::vector<std::uint64_t> pfns = {}, std::vector<std::pair<std::string, std::int64_t>> counts = {});
  void check_range_against_layout(const Range& r, const char* what);
  void check_pages_allocated(const AllocEvent& e, unsigned id);
  /// "allocation #K": K the op (steps_are_ops) or the running number.
  std::string alloc_name(unsigned id) const;
  void check_dma_free(const FreeEvent& e);
  void check_order(const PageSeq& pages);
  void allocate_run(Pfn lo, Pfn hi, const AllocEvent& e, unsigned id);
  void free_run(Pfn lo, Pfn hi, const FreeEvent& e);
  void free_ram_run(Pfn lo, Pfn hi);
  void drop_pages(std::uint32_t owner, std::uint64_t n);  // n pages of `owner` are no longer its
  AddrSet target_space() const;
  Range page_addr(Pfn lo, Pfn hi) const { return {geo_.addr(lo), geo_.addr(hi) + geo_.page_size() - 1}; }

  Layout layout_;
  Geometry geo_;
  Options opt_;
  std::vector<NamedRange> ram_, devices_;
  AddrSet ram_set_, dev_set_, claims_;
  std::vector<Range> regions_;  // sorted extended regions (Arm)
  Target target_ = Target::none;
  std::size_t step_ = 0;

  PfnSet pool_[2], pool_all_;
  boost::icl::separate_interval_set<Addr> growths_;  // separate: each growth keeps its borders
  // Live pages (pool and RAM) with their allocation and path, and their counts. A pool page
  // not live but in ever_ was given back (a second free is a double-free, not unknown-free):
  // ever_ stays a few intervals, where a "freed" state in pages_ would double its segments.
  LiveIndex pages_, ram_pages_;
  PfnSet ever_;
  // The pools and ever_ only grow, so an interval of theirs that held the last run still
  // holds it: the next run usually needs no search.
  struct Hit {
    Pfn lo = 1, hi = 0;
    bool in(const PfnSet& s, Pfn lo, Pfn hi) {  // [lo, hi] inside s (remembers the interval)
      return (this->lo <= lo && hi <= this->hi) || search(s, lo, hi);
    }
    bool search(const PfnSet& s, Pfn lo, Pfn hi);
  };
  Hit pool_all_hit_, pool_hit_[2], ever_hit_;
  std::uint64_t pool_overlap(int p, Pfn lo, Pfn hi);  // |[lo, hi] ∩ pool_[p]|
  std::uint64_t live_count_ = 0, ram_live_count_ = 0;
  std::uint64_t live_in_pool_[2] = {0, 0};
  std::map<Pfn, std::pair<std::uint64_t, unsigned>> dma_allocs_;  // first pfn -> (pages, id)
  std::map<unsigned, Alloc> allocs_;
  struct Dropping {  // drop_pages' last allocation (it points into allocs_)
    std::map<unsigned, Alloc>::iterator it;
    unsigned id = 0;
    bool set = false;
  };
  OwnCache<Dropping> dropping_;
  unsigned next_id_ = 1;

  PageList ref_lifo_;  // what page_list would hand out next
  bool lifo_ok_ = true;

  std::vector<Finding> pending_, all_;
};

}  // namespace unpop
