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

namespace {
// Both have no unpopulated DMA path: the grant table takes CMA RAM.
ByDesign cma_ram_stolen() {
  return {"ram-stolen", op_dma_alloc, Needs::nothing,
          "gnttab_dma_alloc_pages() takes CMA RAM (dma_alloc_coherent) although extended regions are free"};
}
ByDesign cma_enomem() {
  return {"spurious-enomem", op_dma_alloc, Needs::ram_shortage,
          "a DMA buffer larger than the CMA RAM left fails although extended regions are free"};
}
}  // namespace

VariantInfo upstream_variant() {
  VariantInfo v;
  v.name = "upstream";
  v.summary = "mainline drivers/xen/unpopulated-alloc.c: LIFO page_list under list_lock; DMA from CMA RAM";
  v.source = "torvalds/linux drivers/xen/unpopulated-alloc.c; Arm extended regions: arch/arm/xen/enlighten.c";
  v.traits.pool = PoolKind::lifo_list;
  v.traits.dma = DmaSource::cma_ram;
  v.traits.extra_mem = ExtraMem::with_iomem_target;
  v.by_design = {
      cma_ram_stolen(),
      cma_enomem(),
      {"spurious-enomem", op_alloc | op_dma_alloc, Needs::iomem_user,
       "allocate_resource() takes the lowest gap and the iomem mirror's request_resource() then fails there for ever"},
      {"spurious-enomem", op_alloc, Needs::fragmented_space,
       "fill_list() asks for one range of round_up(nr, PAGES_PER_SECTION) pages: free sections in separate regions "
       "do not serve it"},
  };
  v.colour = "#d62728";
  v.mainline_arch_init = Arch::arm64;
  v.make = [] { return std::make_unique<Upstream>(false); };
  return v;
}

VariantInfo x86_variant() {
  VariantInfo v;
  v.name = "x86";
  v.summary = "the mainline allocator with iomem_resource as target on any layout and xen_extra_mem seeding";
  v.source = "arch/x86/xen/enlighten.c, a6aa4eb994ee \"xen/x86: add extra pages to unpopulated-alloc if available\"";
  v.traits.pool = PoolKind::lifo_list;
  v.traits.dma = DmaSource::cma_ram;
  v.traits.target = GrowthTarget::iomem;
  v.traits.extra_mem = ExtraMem::with_iomem_target;
  v.by_design = {
      {"device-overlap", op_alloc | op_dma_alloc, Needs::grant_table_in_reach,
       "on an Arm layout the grant-table region is not an iomem resource, so growth can land on it"},
      cma_ram_stolen(),
      cma_enomem(),
  };
  // The weak-default target of an x86 kernel: an Arm kernel cannot be configured this way (it
  // would grow over the grant-table region), so `--variant all` runs it on x86 layouts only.
  v.native_arch = Arch::x86_64;
  v.mainline_arch_init = Arch::x86_64;
  v.colour = "#ff7f0e";
  v.make = [] { return std::make_unique<Upstream>(true); };
  return v;
}

}  // namespace unpop
