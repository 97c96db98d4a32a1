// `upstream`: drivers/xen/unpopulated-alloc.c as in mainline today (torvalds/linux), with the
// Arm arch init of arch/arm/xen/enlighten.c. `x86`: the same allocator with the target
// iomem_resource and the xen_extra_mem seeding of arch/x86/xen/enlighten.c (v6.10,
// a6aa4eb994ee). Neither has a DMA API: gnttab_dma_alloc_pages() takes CMA RAM.
#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/variants/list_pool.h"

namespace unpop {
namespace {

class Upstream final : public Variant {
 public:
  explicit Upstream(bool x86) : x86_(x86) {}
  const char* name() const override { return x86_ ? "x86" : "upstream"; }

  int init(Kernel& k) override {
    // unpopulated_init(): arch_xen_unpopulated_init(&target_resource); on error the target
    // stays NULL and every call falls back to ballooned pages.
    bool use_iomem = x86_ || k.layout().arch == Arch::x86_64;
    int ret = use_iomem ? k.iomem_init() : k.arm_init();
    if (ret == 0 && use_iomem)
      for (const auto& r : k.layout().extra_mem) list_.seed(k, r.range);
    k.report_target(ret);
    return ret;
  }

  std::unique_ptr<Task> alloc(Kernel& k, const CallCtx&, std::uint64_t nr) override { return list_.alloc_task(k, nr); }

  std::unique_ptr<Task> free(Kernel& k, const CallCtx&, const PageSeq& pages) override {
    return list_.free_task(k, pages);
  }

  // gnttab_dma_alloc_pages() before the RFC: dma_alloc_coherent()/dma_alloc_wc() (CMA), then
  // xenmem_reservation_decrease() gives the frames back to Xen.
  std::unique_ptr<Task> dma_alloc(Kernel& k, const CallCtx&, std::uint64_t nr, const Device&) override {
    return one_step([&k, nr](OpResult& r) { r = cma_alloc(k, nr); });
  }

  std::unique_ptr<Task> dma_free(Kernel& k, const CallCtx&, const PageSeq& pages, const Device&) override {
    return one_step([&k, pages](OpResult& r) {
      ram_free(k, pages);  // xenmem_reservation_increase + dma_free_coherent
      r.source = Source::ram;
    });
  }

  void report_counts(Kernel& k) const override { list_.report_counts(k); }
  std::vector<std::string> describe() const override { return list_.describe(); }
  std::uint64_t free_pages() const override { return list_.list_count(); }

 private:
  bool x86_;
  ListPool list_;
};

}  // namespace

std::unique_ptr<Variant> make_upstream(bool x86) { return std::make_unique<Upstream>(x86); }

}  // namespace unpop
