// `v1`: "[PATCH 1/2] xen/unpopulated-alloc: Introduce helpers for contiguous allocations" and
// "[PATCH 2/2] xen/grant-table: Use unpopulated contiguous pages instead of real RAM ones"
// (Oleksandr Tyshchenko, 2022-06-20, Message-ID 1655740136-3974-1-git-send-email-
// olekstysh@gmail.com; branch otyshchenko1/linux unpopulated-cma1). page_list is gone: one
// genpool serves every allocation under pool_lock, plain ones included (one contiguous range
// from one chunk); plain frees go back page by page; the grant table falls back to
// dma_alloc_coherent() when the contiguous allocation fails.
#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"
#include "model/variants/dma_pages.h"
#include "model/variants/genpool_pool.h"
#include "model/variants/list_pool.h"

namespace unpop {
namespace {

class V1 final : public Variant {
 public:

  int init(Kernel& k) override {
    // The pool is created first and destroyed if the arch init fails.
    int ret = k.layout().arch == Arch::x86_64 ? k.iomem_init() : k.arm_init();
    have_pool_ = ret == 0;
    k.report_target(ret);
    return ret;
  }

  std::unique_ptr<Task> alloc(Kernel& k, const CallCtx&, std::uint64_t nr) override {
    return one_step([this, &k, nr](OpResult& r) { r = alloc_pages(k, nr, false); });
  }

  std::unique_ptr<Task> free(Kernel& k, const CallCtx&, const PageSeq& pages) override {
    return one_step([this, &k, pages](OpResult& r) {
      if (!k.has_target()) {
        ram_free(k, pages);
        r.source = Source::ram;
        return;
      }
      // Non-contiguous free: gen_pool_free() one page at a time, under pool_lock.
      for (const auto& run : pages.runs())
        for (std::uint64_t i = 0; i < run.count; ++i)
          if (!free_range(k, run.at(i), 1)) return;
    });
  }

  // gnttab_dma_alloc_pages(): xen_alloc_unpopulated_contiguous_pages(); on failure
  // `goto fallback` to the dma_alloc_coherent()/dma_alloc_wc() path.
  std::unique_ptr<Task> dma_alloc(Kernel& k, const CallCtx&, std::uint64_t nr, const Device& d) override {
    return one_step([this, &k, nr, d](OpResult& r) {
      r = d.dma_mask_bits != 64 ? OpResult{-err::einval, {}, Source::pool, false, {}, {}}
                                : alloc_pages(k, nr, true);
      if (r.ret != 0 && r.ret != kOops) {
        int first = r.ret;
        r = cma_alloc(k, nr);
        r.note = fmt::format("contiguous unpopulated allocation failed ({}): fell back to {}",
                             err::name(first), r.note);
      }
    });
  }

  // gnttab_dma_free_pages(): is_xen_unpopulated_page(pages[0]) (gen_pool_has_addr) picks the
  // contiguous free; otherwise the RAM path.
  std::unique_ptr<Task> dma_free(Kernel& k, const CallCtx&, const PageSeq& pages, const Device&) override {
    return one_step([this, &k, pages](OpResult& r) {
      if (pages.empty()) return;
      if (have_pool_ && pool_.has(pages.front(), 1)) {
        free_range(k, pages.front(), pages.size());
        return;
      }
      ram_free(k, pages);
      r.source = Source::ram;
    });
  }

  void report_counts(Kernel& k) const override {
    report_genpool_counts(k, pool_, kMainPool);
  }

  std::vector<std::string> describe() const override {
    std::vector<std::string> out;
    describe_genpool(pool_, "unpopulated_pool", out);
    return out;
  }
  std::uint64_t free_pages() const override { return pool_.avail(); }

 private:
  // alloc_unpopulated_pages(nr, pages, contiguous)
  OpResult alloc_pages(Kernel& k, std::uint64_t nr, bool contiguous) {
    OpResult r;
    if (!k.has_target()) {
      if (contiguous && nr > 1) {
        r.ret = -err::enodev;
        return r;
      }
      return balloon_alloc(k, nr);
    }
    if (nr == 0) return r;
    // mutex_lock(&pool_lock): gen_pool_alloc, fill_pool once, retry.
    auto first = pool_.alloc(nr);
    if (!first) {
      r.ret = fill_pool(k, nr);
      if (r.ret) return r;
      first = pool_.alloc(nr);
      if (!first) {
        r.ret = -err::enomem;
        return r;
      }
    }
    r.pages = range_pages(k, *first, nr);
    return r;
  }

  bool free_range(Kernel& k, Pfn first, std::uint64_t n) { return genpool_free(k, pool_, first, n); }

  // fill_pool(nr): fill_list renamed, ending in gen_pool_add_virt().
  int fill_pool(Kernel& k, std::uint64_t nr) { return fill_genpool(k, pool_, nr, "Xen scratch", kMainPool, false); }

  GenPool pool_;
  bool have_pool_ = false;
};

}  // namespace

VariantInfo v1_variant() {
  VariantInfo v;
  v.name = "v1";
  v.summary = "the June 2022 V1: one genpool for every allocation under pool_lock, DMA falls back to CMA RAM";
  v.source = "[PATCH 0/2] Ability to allocate contiguous (was DMAable) pages using unpopulated-alloc, 2022-06-20, "
             "Message-ID 1655740136-3974-1-git-send-email-olekstysh@gmail.com";
  v.traits.pool = PoolKind::genpool;
  v.traits.dma = DmaSource::shared_pool;
  v.traits.cma_fallback = true;
  v.traits.growth_fn = "fill_pool";
  v.by_design = {
      {"spurious-enomem", op_alloc | op_dma_alloc, Needs::iomem_user,
       "a run-time iomem user in the lowest gap wedges growth"},
      {"spurious-enomem", op_alloc, Needs::fragmented_space,
       "plain allocations need one contiguous range from one chunk"},
      {"ram-stolen", op_dma_alloc, Needs::adjacent_sections,
       "a contiguous request genpool cannot serve across a chunk boundary falls back to CMA RAM"},
  };
  v.colour = "#2ca02c";
  v.make = [] { return std::make_unique<V1>(); };
  return v;
}

}  // namespace unpop
