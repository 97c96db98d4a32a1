#pragma once
/// The upstream list allocator of drivers/xen/unpopulated-alloc.c: page_list (LIFO through
/// page->zone_device_data), list_count, fill_list(), and the balloon fallback. `upstream`,
/// `x86` and the RFC's plain path are this code.
#include <cstdint>
#include <string>
#include <vector>

#include "model/linux/genpool.h"
#include "model/linux/kernel.h"
#include "model/variants/variant.h"

namespace unpop {

class ListPool {
 public:
  /// fill_list(nr_pages): one section-rounded growth, its pages pushed in ascending order.
  int fill_list(Kernel& k, std::uint64_t nr_pages);
  /// xen_alloc_unpopulated_pages() as one task: the balloon without a target, else the body
  /// under list_lock.
  std::unique_ptr<Task> alloc_task(Kernel& k, std::uint64_t nr);
  /// xen_free_unpopulated_pages() as one task: the balloon without a target, else push.
  std::unique_ptr<Task> free_task(Kernel& k, const PageSeq& pages);
  /// The body of xen_alloc_unpopulated_pages() under list_lock (target exists).
  OpResult alloc_locked(Kernel& k, std::uint64_t nr);
  /// The body of xen_free_unpopulated_pages() under list_lock.
  void push(Kernel& k, const PageSeq& pages);
  /// x86 arch init: every xen_extra_mem page freed into the list one at a time.
  void seed(Kernel& k, Range r);
  void report_counts(Kernel& k) const;
  std::vector<std::string> describe() const;
  std::uint64_t list_count() const { return list_count_; }
  std::uint64_t pool_pages() const { return pool_pages_; }

 private:
  PageList list_;
  std::uint64_t list_count_ = 0;  // the kernel's counter, kept separately on purpose
  std::uint64_t pool_pages_ = 0;
  std::vector<Range> scratch_;    // "Xen scratch" ranges grown
};

/// xen_alloc_ballooned_pages(): real RAM, ballooned out (decrease_reservation).
OpResult balloon_alloc(Kernel& k, std::uint64_t nr);
/// dma_alloc_coherent/_wc from CMA + xenmem_reservation_decrease (gnttab_dma_alloc_pages
/// before the RFC).
OpResult cma_alloc(Kernel& k, std::uint64_t nr);
void ram_free(Kernel& k, const PageSeq& pages);

/// Emits the observer events of a finished allocation / free.
void report_alloc(Kernel& k, const CallCtx& c, Path path, std::uint64_t nr, const OpResult& r,
                  Addr max_addr = ~Addr{0});
void report_free(Kernel& k, const CallCtx& c, Path path, Source src, const PageSeq& pages);

/// A task of one atomic step.
std::unique_ptr<Task> one_step(std::function<void(OpResult&)> body);

}  // namespace unpop
