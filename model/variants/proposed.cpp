// `proposed`: our design for IPA-contiguous unpopulated allocations (docs/variants.md).
//  - One pool under one lock (as V1), but its free space is a set of runs in IPA order, not
//    genpool chunks: an allocation may span two adjacent growths.
//  - Growth stays section-granular (memremap_pages/sparse want sections, and the rule
//    growth-misaligned holds), but is placed deliberately: plain allocations grow one section
//    at a time wherever a section is free, so fragmented extended regions are all usable;
//    DMA allocations pick the window of (free pool pages + growable sections) that needs the
//    fewest new sections, so a range can continue a free run at a chunk edge.
//  - Candidate sections are gaps of the target that are also free in iomem_resource, so a
//    later user of iomem (hot-plugged RAM, a driver's MMIO) never wedges growth at one gap.
//  - Frees are validated (page live, DMA range exactly one allocation); a bad free is refused
//    with a warning instead of corrupting the pool or BUG()ing.
//  - Devices with a DMA mask below 64 bits get a window below their limit instead of -EINVAL.
//  - No RAM fallback while unpopulated space exists.
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <boost/icl/interval_set.hpp>
#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"
#include "model/variants/dma_pages.h"
#include "model/variants/list_pool.h"

namespace unpop {
namespace {

using PfnSet = boost::icl::interval_set<Pfn>;  // joining: adjacent free pages form one run
using PfnIv = PfnSet::interval_type;
constexpr spec::U64 kSpec{};  // the placement arithmetic the solver shares (model/spec)

class Proposed final : public Variant {
 public:

  int init(Kernel& k) override {
    int ret = k.layout().arch == Arch::x86_64 ? k.iomem_init() : k.arm_init();
    if (ret == 0)
      for (const auto& r : k.layout().extra_mem) {
        Pfn lo = k.geo().pfn(r.range.start), hi = k.geo().pfn(r.range.end);
        free_ += PfnIv::closed(lo, hi);
        pool_pages_ += hi - lo + 1;
        k.obs().seeded(kMainPool, r.range);
      }
    k.report_target(ret);
    return ret;
  }

  std::unique_ptr<Task> alloc(Kernel& k, const CallCtx&, std::uint64_t nr) override {
    return one_step([this, &k, nr](OpResult& r) {
      if (!k.has_target()) {
        r = balloon_alloc(k, nr);  // no unpopulated space exists at all
        return;
      }
      while (free_count() < nr) {
        auto sections = growable(k, ~Pfn{0});
        if (sections.empty()) {
          r.ret = -err::enomem;
          return;
        }
        Pfn s = boost::icl::first(*sections.begin());
        r.ret = grow(k, nr, s, k.geo().pages_per_section());
        if (r.ret) return;
      }
      r.pages = take_scattered(nr);
    });
  }

  std::unique_ptr<Task> free(Kernel& k, const CallCtx&, const PageSeq& pages) override {
    return one_step([this, &k, pages](OpResult& r) {
      if (!k.has_target()) {
        ram_free(k, pages);
        r.source = Source::ram;
        return;
      }
      // Page by page, as the kernel patch frees them (kernel/patches): the live plain pages of
      // the call go back, every other page is refused with a warning and left alone.
      for (const auto& run : pages.runs()) {
        PfnIv iv = PfnIv::closed(run.lo(), run.hi());
        PfnSet ok = (live_ & iv) - dma_set_;
        for (const auto& bad : PfnSet(iv) - ok)
          r.note += fmt::format("WARN: refused free of pfn {:#x}-{:#x}: not live plain pages; ", boost::icl::first(bad),
                                boost::icl::last(bad));
        live_ -= ok;
        free_ += ok;
      }
    });
  }

  std::unique_ptr<Task> dma_alloc(Kernel& k, const CallCtx&, std::uint64_t nr, const Device& d) override {
    return one_step([this, &k, nr, d](OpResult& r) {
      if (!k.has_target()) {
        r = cma_alloc(k, nr);
        return;
      }
      if (nr == 0) {
        r.ret = -err::einval;
        return;
      }
      Pfn max_pfn = d.dma_mask_bits >= 64 ? ~Pfn{0} : k.geo().pfn((Addr{1} << d.dma_mask_bits) - 1);
      std::optional<Pfn> start = best_fit(free_, nr, max_pfn);
      if (!start) {
        r.ret = grow_for_window(k, nr, max_pfn, start);
        if (r.ret) return;
      }
      PfnIv iv = PfnIv::right_open(*start, *start + nr);
      free_ -= iv;
      live_ += iv;
      dma_set_ += iv;
      dma_.emplace(*start, nr);
      r.pages = range_pages(k, *start, nr);
    });
  }

  std::unique_ptr<Task> dma_free(Kernel& k, const CallCtx&, const PageSeq& pages, const Device&) override {
    return one_step([this, &k, pages](OpResult& r) {
      if (!k.has_target()) {
        ram_free(k, pages);
        r.source = Source::ram;
        return;
      }
      if (pages.empty()) return;
      Pfn first = pages.runs().front().lo();
      for (const auto& run : pages.runs()) first = std::min(first, run.lo());
      auto it = dma_.find(first);
      if (it == dma_.end() || it->second != pages.size()) {
        r.note = fmt::format("WARN: refused DMA free of {} pages at pfn {:#x}: not one DMA allocation",
                             pages.size(), first);
        return;
      }
      PfnIv iv = PfnIv::right_open(first, first + it->second);
      dma_.erase(it);
      dma_set_ -= iv;
      live_ -= iv;
      free_ += iv;
    });
  }

  void report_counts(Kernel& k) const override {
    std::uint64_t actual = boost::icl::cardinality(free_);
    k.obs().counts(CountReport{kMainPool, actual, actual, pool_pages_});
  }

  std::vector<std::string> describe() const override {
    std::vector<std::string> out;
    const std::size_t runs = boost::icl::interval_count(free_);
    out.push_back(fmt::format("pool: {} pages in {} growth{}, {} free in {} run{}, largest {}", pool_pages_,
                              chunks_.size(), chunks_.size() == 1 ? "" : "s", free_count(), runs,
                              runs == 1 ? "" : "s", largest()));
    for (const Range& c : chunks_) out.push_back(fmt::format("Xen scratch {}", to_string(c)));
    return out;
  }
  std::uint64_t free_pages() const override { return free_count(); }

 private:
  std::uint64_t free_count() const { return boost::icl::cardinality(free_); }
  std::uint64_t largest() const {
    std::uint64_t best = 0;
    for (const auto& iv : free_) best = std::max<std::uint64_t>(best, boost::icl::length(iv));
    return best;
  }

  // Smallest run of `set` holding nr pages below max_pfn; lowest address on ties.
  static std::optional<Pfn> best_fit(const PfnSet& set, std::uint64_t nr, Pfn max_pfn) {
    std::optional<Pfn> best;
    std::uint64_t best_len = 0;
    for (const auto& iv : set) {
      Pfn lo = boost::icl::first(iv);
      Pfn hi = std::min(boost::icl::last(iv), max_pfn);
      if (lo > max_pfn || !spec::run_fits(kSpec, hi - lo + 1, nr)) continue;
      if (!best || spec::better_fit(kSpec, hi - lo + 1, lo, best_len, *best)) {
        best_len = hi - lo + 1;
        best = lo;
      }
    }
    return best;
  }

  // Pages of every section the kernel would let us grow into, below max_pfn.
  PfnSet growable(const Kernel& k, Pfn max_pfn) const {
    PfnSet g;
    for (const Range& r : k.growable_space()) {
      Pfn lo = k.geo().pfn(r.start), hi = std::min(k.geo().pfn(r.end), max_pfn);
      Pfn pps = k.geo().pages_per_section();
      if (hi < lo || hi - lo + 1 < pps) continue;
      hi = lo + ((hi - lo + 1) / pps) * pps - 1;  // whole sections only
      g += PfnIv::closed(lo, hi);
    }
    return g;
  }

  // Plain pages: a best-fit run when one holds them all, else the smallest runs first, so
  // the long runs stay for DMA requests.
  PageSeq take_scattered(std::uint64_t nr) {
    PageSeq out;
    if (auto s = best_fit(free_, nr, ~Pfn{0})) {
      out = PageSeq::ascending(*s, nr);
    } else {
      std::vector<PfnIv> runs(free_.begin(), free_.end());
      std::sort(runs.begin(), runs.end(), [](const PfnIv& a, const PfnIv& b) {
        return spec::better_fit(kSpec, boost::icl::length(a), boost::icl::first(a), boost::icl::length(b),
                                boost::icl::first(b));
      });
      std::uint64_t taken = 0;
      for (const auto& iv : runs) {
        std::uint64_t take = spec::scatter_take(kSpec, nr, taken, boost::icl::length(iv));
        if (take == 0) break;
        out.append(PageRun{boost::icl::first(iv), take, 1});
        taken += take;
      }
    }
    for (const auto& run : out.runs()) {
      free_ -= PfnIv::closed(run.lo(), run.hi());
      live_ += PfnIv::closed(run.lo(), run.hi());
    }
    return out;
  }

  // Chooses the window of nr pages in (free pool + growable sections) needing the fewest new
  // sections, grows them, and returns its start.
  int grow_for_window(Kernel& k, std::uint64_t nr, Pfn max_pfn, std::optional<Pfn>& start) {
    const Pfn pps = k.geo().pages_per_section();
    PfnSet grow_space = growable(k, max_pfn);
    PfnSet combined = grow_space;
    combined += free_;
    std::uint64_t best_cost = std::numeric_limits<std::uint64_t>::max();
    for (const auto& iv : combined) {
      Pfn lo = boost::icl::first(iv), hi = std::min(boost::icl::last(iv), max_pfn);
      if (lo > max_pfn || hi - lo + 1 < nr) continue;
      std::vector<Pfn> cands{lo};
      for (const auto& f : free_ & PfnIv::closed(lo, hi)) {
        cands.push_back(boost::icl::first(f));
        if (boost::icl::last(f) + 1 >= lo + nr) cands.push_back(boost::icl::last(f) + 1 - nr);
      }
      for (Pfn c : cands) {
        if (!spec::window_inside(kSpec, lo, hi + 1, c, nr)) continue;
        std::uint64_t cost = boost::icl::cardinality(grow_space & PfnIv::right_open(c, c + nr));
        if (!start || spec::cheaper_window(kSpec, cost, c, best_cost, *start)) {
          best_cost = cost;
          start = c;
        }
      }
    }
    if (!start) return -err::enomem;
    // Grow each maximal block of sections the window touches, as one growth each.
    PfnSet need = grow_space & PfnIv::right_open(*start, *start + nr);
    for (const auto& iv : need) {
      auto cover = spec::section_cover(kSpec, boost::icl::first(iv), boost::icl::last(iv) + 1, pps);
      int ret = grow(k, nr, cover.first, cover.end - cover.first);
      if (ret) {
        start.reset();
        return ret;
      }
    }
    return 0;
  }

  int grow(Kernel& k, std::uint64_t nr, Pfn first, std::uint64_t pages) {
    GrowSpec spec;
    spec.nr_pages = nr;
    spec.alloc_pages = pages;
    spec.name = "Xen scratch";
    spec.window = Range::from_size(k.geo().addr(first), pages * k.geo().page_size());
    spec.finish = [&](Range r) {
      Pfn lo = k.geo().pfn(r.start);
      free_ += PfnIv::right_open(lo, lo + pages);
      pool_pages_ += pages;
      chunks_.push_back(r);
      return 0;
    };
    return k.grow(spec).ret;
  }

  PfnSet free_, live_, dma_set_;
  std::map<Pfn, std::uint64_t> dma_;  // live DMA allocations: first pfn -> pages
  std::vector<Range> chunks_;
  std::uint64_t pool_pages_ = 0;
};

}  // namespace

VariantInfo proposed_variant() {
  VariantInfo v;
  v.name = "proposed";
  v.summary = "this project's design: one pool of free runs, deliberate section growth, validated frees";
  v.source = "this project (docs/variants.md)";
  v.traits.pool = PoolKind::runs;
  v.traits.dma = DmaSource::shared_pool;
  v.traits.extra_mem = ExtraMem::always;
  v.traits.growth_fn = "grow(window)";
  v.traits.growth_from_tree = false;
  // kernel/patches implements it for Linux 6.12 (conform runs the patched file against it).
  v.kernel_patches = true;
  // No released kernel carries it and its traces have no tracepoints yet: a trace cannot come
  // from it, and its replay checks less (no growth prediction, no page order), so under `auto`
  // it would "fit" traces the real variants do not. Replay it with --variant proposed.
  v.auto_candidate = false;
  // proposed computes each growth window itself from growable_space() (gaps of the target free
  // in iomem, whole aligned sections) and calls allocate_resource with exactly that window.
  v.equivalent = {
      {Mutant::no_section_align,
       "proposed's window is already section-aligned and exactly the growth's size, so PAGE_SIZE alignment finds the "
       "same start"},
      {Mutant::overlapping_growth,
       "proposed's window is a gap it computed from the tree's children, so ignoring the children finds the same "
       "range"},
  };
  v.colour = "#9467bd";
  v.make = [] { return std::make_unique<Proposed>(); };
  return v;
}

}  // namespace unpop
