#pragma once
/// The counters of issue 6, computed from the allocator's observable events (model/core/observer.h)
/// and the layout: nothing in model/ had to change.
///
/// Assumptions (docs/scenarios.md, "What the model assumes"):
///  - P2M: Xen maps the guest's RAM with the largest block that fits (1 GiB, 2 MiB, 4 KiB) at its
///    natural alignment; a block is a superpage iff a RAM bank covers the whole aligned block.
///    Removing one page from a block (XENMEM_decrease_reservation -> guest_remove_page ->
///    p2m_remove_mapping) splits it; putting the page back (XENMEM_populate_physmap) maps one Linux page
///    and Xen/Arm never merges the block again. So a block counts as broken from the first page
///    ever removed from it, and stays broken.
///  - Hypercalls: gnttab_dma_alloc_pages()/gnttab_dma_free_pages() call xenmem_reservation_decrease /
///    _increase once with all nr_pages frames (drivers/xen/grant-table.c, mem-reservation.c): one
///    hypercall each. The balloon (xen_alloc_ballooned_pages / xen_free_ballooned_pages + the
///    balloon worker) batches at ARRAY_SIZE(frame_list) = PAGE_SIZE / sizeof(xen_pfn_t) frames
///    (drivers/xen/balloon.c): ceil(nr / (PAGE_SIZE/8)) hypercalls per call.
///  - CMA: the model's RamPool stands for buddy + CMA (docs/model.md); "CMA in use" is RAM held by
///    the DMA path (Path::dma, Source::ram), "RAM taken" is all RAM held (CMA + ballooned).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/icl/interval_set.hpp>

#include "model/core/geometry.h"
#include "model/core/observer.h"
#include "model/layout/layout.h"

namespace unpop::scen {

struct Counters {
  // Claim 1: RAM / CMA.
  std::uint64_t ram_pages_now = 0, ram_pages_peak = 0;  // RAM held by the allocator's users
  std::uint64_t cma_pages_now = 0, cma_pages_peak = 0;  // of which through the DMA path (CMA)
  std::uint64_t ram_pages_total = 0;                    // pages ever taken (sum over allocations)
  // Claim 2: P2M superpages of guest RAM broken (distinct blocks, ever).
  std::uint64_t p2m_2m_broken = 0, p2m_1g_broken = 0;
  std::uint64_t p2m_2m_blocks = 0, p2m_1g_blocks = 0;  // superpage blocks the RAM has at boot
  // Claim 3: XENMEM_decrease_reservation / XENMEM_populate_physmap hypercalls
  // (xenmem_reservation_decrease/_increase).
  std::uint64_t hc_decrease = 0, hc_increase = 0;
  std::uint64_t hypercalls() const { return hc_decrease + hc_increase; }
  // Price: pool growths ("Xen scratch" / "Xen DMA pool" sections), idle IPA space, failures.
  std::uint64_t growths = 0, growth_failures = 0;
  std::uint64_t pool_pages = 0;                         // every page growth (or seeding) mapped
  std::uint64_t pool_live_now = 0, pool_live_peak = 0;  // of them, handed out
  std::uint64_t idle_end = 0;                           // pool pages not handed out, before teardown
  std::uint64_t allocs = 0, alloc_failures = 0, dma_failures = 0;
  std::uint64_t ram_allocs = 0;  // allocations served from RAM (CMA or balloon)
  // What the invariant checker said.
  std::uint64_t violations = 0, liveness = 0;
  std::map<std::string, std::uint64_t> by_rule;
};

/// An Observer that keeps the counters. Feed it the same events as the checker.
class Metrics : public Observer {
 public:
  Metrics(const Layout& layout, const Geometry& geo);
  const Counters& counters() const { return c_; }
  Counters& counters() { return c_; }

  void growth(int pool, std::uint64_t nr, std::optional<Range> range, int ret) override;
  void seeded(int pool, const Range& r) override;
  void allocated(const AllocEvent& e) override;
  void freed(const FreeEvent& e) override;

  /// Hypercalls the balloon needs for n pages (frame_list batches).
  std::uint64_t balloon_batches(std::uint64_t n) const;

 private:
  using BlockSet = boost::icl::interval_set<std::uint64_t>;
  void ram_removed(const PageSeq& pages);
  Geometry geo_;
  Counters c_;
  BlockSet super2m_, super1g_, broken2m_, broken1g_;
};

/// Sends every event to several observers (the checker and the metrics).
class Tee : public Observer {
 public:
  explicit Tee(std::vector<Observer*> outs) : outs_(std::move(outs)) {}
  void target_built(Target t, std::optional<Range> span, const std::vector<Range>& holes, int ret) override {
    for (auto* o : outs_) o->target_built(t, span, holes, ret);
  }
  void growth(int pool, std::uint64_t nr, std::optional<Range> range, int ret) override {
    for (auto* o : outs_) o->growth(pool, nr, range, ret);
  }
  void allocated(const AllocEvent& e) override {
    for (auto* o : outs_) o->allocated(e);
  }
  void freed(const FreeEvent& e) override {
    for (auto* o : outs_) o->freed(e);
  }
  void counts(const CountReport& c) override {
    for (auto* o : outs_) o->counts(c);
  }
  void seeded(int pool, const Range& r) override {
    for (auto* o : outs_) o->seeded(pool, r);
  }
  void claimed(const Range& r, const std::string& name, bool is_ram) override {
    for (auto* o : outs_) o->claimed(r, name, is_ram);
  }
  void kernel_bug(const std::string& what) override {
    for (auto* o : outs_) o->kernel_bug(what);
  }

 private:
  std::vector<Observer*> outs_;
};

}  // namespace unpop::scen
