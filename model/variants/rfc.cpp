// `rfc`: "[RFC PATCH 1/2] xen/unpopulated-alloc: Introduce helpers for DMA allocations" and
// "[RFC PATCH 2/2] xen/grant-table: Use unpopulated DMAable pages instead of real RAM ones"
// (Oleksandr Tyshchenko, 2022-05-17, Message-ID 1652810658-27810-{2,3}-git-send-email-
// olekstysh@gmail.com). The upstream list stays for plain pages; DMA pages come from a separate
// genpool (best fit, newest chunk first, no allocation across chunks) filled by
// fill_dma_pool(), with no lock on that path and the `if (!res)` slip after kzalloc(tmp_res).
#include <memory>

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"
#include "model/variants/dma_pages.h"
#include "model/variants/genpool_pool.h"
#include "model/variants/list_pool.h"

namespace unpop {
namespace {

class Rfc final : public Variant {
 public:

  int init(Kernel& k) override {
    int ret = k.layout().arch == Arch::x86_64 ? k.iomem_init() : k.arm_init();
    if (ret == 0) {
      if (k.layout().arch == Arch::x86_64)
        for (const auto& r : k.layout().extra_mem) list_.seed(k, r.range);
      have_pool_ = true;  // gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE) + gen_pool_best_fit
    }                      // on arch-init failure it returns first: dma_pool stays NULL
    k.report_target(ret);
    return ret;
  }

  std::unique_ptr<Task> alloc(Kernel& k, const CallCtx&, std::uint64_t nr) override { return list_.alloc_task(k, nr); }

  std::unique_ptr<Task> free(Kernel& k, const CallCtx&, const PageSeq& pages) override {
    return list_.free_task(k, pages);
  }

  // gnttab_dma_alloc_pages() -> xen_alloc_unpopulated_dma_pages(dev, nr, pages). No lock: the
  // first gen_pool_alloc, fill_dma_pool and the retry are separate steps another caller can
  // run between.
  std::unique_ptr<Task> dma_alloc(Kernel& k, const CallCtx&, std::uint64_t nr, const Device& d) override {
    auto st = std::make_shared<std::optional<Pfn>>();
    std::vector<Task::Step> steps;
    steps.push_back([this, &k, nr, d, st](OpResult& r) {
      if (!have_pool_) {
        r.ret = -err::enodev;
        return false;
      }
      if (d.dma_mask_bits != 64) {  // "Handle devices which support 64-bit DMA address only for now"
        r.ret = -err::einval;
        return false;
      }
      if (nr == 0) {  // gen_pool_alloc(0) returns 0: not modelled further
        r.ret = -err::einval;
        return false;
      }
      *st = pool_.alloc(nr);
      if (*st) {
        r.pages = range_pages(k, **st, nr);
        return false;
      }
      return true;
    });
    steps.push_back([this, &k, nr](OpResult& r) {
      r.ret = fill_dma_pool(k, nr);
      return r.ret == 0;
    });
    steps.push_back([this, &k, nr, st](OpResult& r) {
      *st = pool_.alloc(nr);
      if (!*st) {
        r.ret = -err::enomem;  // second failure
        return false;
      }
      r.pages = range_pages(k, **st, nr);
      return false;
    });
    return std::make_unique<Task>(std::move(steps),
                                  std::vector<std::string>{"gen_pool_alloc from the DMA pool (first try)",
                                                           "fill_dma_pool: grow the DMA pool",
                                                           "gen_pool_alloc again (the retry)"});
  }

  // gnttab_dma_free_pages() -> xen_free_unpopulated_dma_pages(): one gen_pool_free of
  // nr_pages from pages[0]; genpool BUG()s on a page outside every chunk or already free.
  std::unique_ptr<Task> dma_free(Kernel& k, const CallCtx&, const PageSeq& pages, const Device&) override {
    return one_step([this, &k, pages](OpResult&) {
      if (!have_pool_ || pages.empty()) return;
      if (k.mutant_is(Mutant::dma_free_to_list)) {
        list_.push(k, pages);
        return;
      }
      genpool_free(k, pool_, pages.front(), pages.size());
    });
  }

  void report_counts(Kernel& k) const override {
    list_.report_counts(k);
    report_genpool_counts(k, pool_, kDmaPool);
  }

  std::vector<std::string> describe() const override {
    auto out = list_.describe();
    describe_genpool(pool_, "Xen DMA pool", out);
    return out;
  }
  std::uint64_t free_pages() const override { return list_.list_count() + pool_.avail(); }

 private:
  // fill_dma_pool(nr_pages): a copy of fill_list whose pages go into a new genpool chunk,
  // with the `if (!res)` slip after kzalloc(tmp_res).
  int fill_dma_pool(Kernel& k, std::uint64_t nr) { return fill_genpool(k, pool_, nr, "Xen DMA pool", kDmaPool, true); }

  ListPool list_;
  GenPool pool_;
  bool have_pool_ = false;
};

}  // namespace

VariantInfo rfc_variant() {
  VariantInfo v;
  v.name = "rfc";
  v.summary = "the May 2022 RFC: upstream's list plus a separate DMA genpool, no lock on the DMA path";
  v.source = "[RFC PATCH 0/2] Ability to allocate DMAable pages using unpopulated-alloc, 2022-05-17, "
             "Message-ID 1652810658-27810-1-git-send-email-olekstysh@gmail.com";
  v.traits.pool = PoolKind::lifo_list;
  v.traits.dma = DmaSource::own_genpool;
  v.traits.extra_mem = ExtraMem::with_iomem_target;
  v.traits.unlocked_dma = true;
  v.traits.dma_alloc_steps = 3;  // gen_pool_alloc, fill_dma_pool, the retry: each unlocked
  v.traits.tmp_res_slip = true;
  v.traits.growth_fn = "fill_dma_pool";
  v.by_design = {
      {"kernel-bug", op_dma_alloc, Needs::arm_target,
       "fill_dma_pool() tests `if (!res)` after `tmp_res = kzalloc()`: a failed kzalloc is dereferenced"},
      {"spurious-enomem", op_alloc | op_dma_alloc, Needs::iomem_user,
       "a run-time iomem user in the lowest gap wedges both pools' growth"},
      {"spurious-enomem", op_alloc | op_dma_alloc, Needs::fragmented_space,
       "the list and the DMA genpool each keep sections the other cannot use"},
      {"spurious-enomem", op_dma_alloc, Needs::two_callers,
       "two callers race on the unlocked gen_pool_alloc / fill_dma_pool / retry"},
  };
  v.colour = "#1f77b4";
  v.make = [] { return std::make_unique<Rfc>(); };
  return v;
}

}  // namespace unpop
