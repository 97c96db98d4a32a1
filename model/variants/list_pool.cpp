#include "model/variants/list_pool.h"

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"

namespace unpop {

int ListPool::fill_list(Kernel& k, std::uint64_t nr_pages) {
  GrowSpec spec;
  spec.nr_pages = nr_pages;
  spec.alloc_pages = spec::fill_pages(spec::U64{}, nr_pages, k.geo().pages_per_section());
  spec.name = "Xen scratch";
  spec.pool = kMainPool;
  spec.finish = [&](Range r) {
    // for (i = 0; i < alloc_pages; i++) { pg->zone_device_data = page_list; page_list = pg; list_count++; }
    list_.push(PageSeq::ascending(k.geo().pfn(r.start), spec.alloc_pages));
    list_count_ += spec.alloc_pages;
    pool_pages_ += spec.alloc_pages;
    scratch_.push_back(r);
    return 0;
  };
  return k.grow(spec).ret;
}

std::unique_ptr<Task> ListPool::alloc_task(Kernel& k, std::uint64_t nr) {
  return one_step([this, &k, nr](OpResult& r) {
    // "Fallback to default behavior if we do not have any suitable resource"
    r = k.has_target() ? alloc_locked(k, nr) : balloon_alloc(k, nr);
  });
}

std::unique_ptr<Task> ListPool::free_task(Kernel& k, const PageSeq& pages) {
  return one_step([this, &k, pages](OpResult& r) {
    if (k.has_target()) {
      push(k, pages);
      return;
    }
    ram_free(k, pages);  // xen_free_ballooned_pages
    r.source = Source::ram;
  });
}

OpResult ListPool::alloc_locked(Kernel& k, std::uint64_t nr) {
  OpResult r;
  if (spec::list_needs_fill(spec::U64{}, list_count_, nr)) {
    r.ret = fill_list(k, spec::list_fill_request(spec::U64{}, list_count_, nr));
    if (r.ret) return r;
  }
  std::uint64_t n = k.mutant_is(Mutant::pop_extra) ? nr + 1 : nr;
  if (list_.length() < n) {  // BUG_ON(!pg)
    k.oops(fmt::format("xen_alloc_unpopulated_pages: BUG_ON(!pg): list holds {} pages, list_count {}, popping {}",
                       list_.length(), list_count_, n));
    r.ret = kOops;
    return r;
  }
  r.pages = k.mutant_is(Mutant::fifo_order) ? list_.pop_bottom(n) : list_.pop(n);
  list_count_ -= std::min(list_count_, n);
  return r;
}

void ListPool::push(Kernel& k, const PageSeq& pages) {
  list_.push(pages);
  if (!k.mutant_is(Mutant::list_count_stale)) list_count_ += pages.size();
}

void ListPool::seed(Kernel& k, Range r) {
  Pfn lo = k.geo().pfn(r.start), hi = k.geo().pfn(r.end);
  list_.push(PageSeq::ascending(lo, hi - lo + 1));
  list_count_ += hi - lo + 1;
  pool_pages_ += hi - lo + 1;
  k.obs().seeded(kMainPool, r);
}

void ListPool::report_counts(Kernel& k) const {
  k.obs().counts(CountReport{kMainPool, list_count_, list_.length(), pool_pages_});
}

std::vector<std::string> ListPool::describe() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("list_count={} page_list: {} pages, head {}", list_count_, list_.length(),
                            list_.peek(4).describe(2)));
  for (const Range& r : scratch_) out.push_back(fmt::format("Xen scratch {}", to_string(r)));
  return out;
}

OpResult balloon_alloc(Kernel& k, std::uint64_t nr) {
  OpResult r;
  r.source = Source::ram;
  if (k.faults().hit(FaultPoint::balloon)) {
    r.ret = -err::enomem;
    return r;
  }
  auto pages = k.ram().take_pages(nr);
  if (!pages) {
    r.ret = -err::enomem;  // decrease_reservation: si_mem_available() < nr
    return r;
  }
  r.pages = std::move(*pages);
  r.note = "xen_alloc_ballooned_pages: real RAM ballooned out";
  return r;
}

OpResult cma_alloc(Kernel& k, std::uint64_t nr) {
  OpResult r;
  r.source = Source::ram;
  if (k.faults().hit(FaultPoint::dma_alloc)) {
    r.ret = -err::enomem;
    return r;
  }
  auto pages = k.ram().take_contiguous(nr);
  if (!pages) {
    r.ret = -err::enomem;
    return r;
  }
  r.pages = std::move(*pages);
  r.note = "dma_alloc_coherent + xenmem_reservation_decrease: RAM taken from the guest";
  return r;
}

void ram_free(Kernel& k, const PageSeq& pages) { k.ram().give_back(pages); }

void report_alloc(Kernel& k, const CallCtx& c, Path path, std::uint64_t nr, const OpResult& r, Addr max_addr) {
  if (r.ret == kOops) return;
  AllocEvent e;
  e.path = path;
  e.source = r.source;
  e.caller = c.caller;
  e.owner = c.owner;
  e.nr_pages = nr;
  e.ret = r.ret;
  e.pages = r.pages;
  e.fault_fired = r.fault_fired;
  e.max_addr = max_addr;
  k.obs().allocated(e);
}

void report_free(Kernel& k, const CallCtx& c, Path path, Source src, const PageSeq& pages) {
  FreeEvent e;
  e.path = path;
  e.source = src;
  e.caller = c.caller;
  e.owner = c.owner;
  e.nr_pages = pages.size();
  e.pages = pages;
  k.obs().freed(e);
}

std::unique_ptr<Task> one_step(std::function<void(OpResult&)> body) {
  return std::make_unique<Task>(std::vector<Task::Step>{[body](OpResult& r) {
    body(r);
    return false;
  }});
}

}  // namespace unpop
