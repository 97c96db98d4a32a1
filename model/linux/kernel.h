#pragma once
/// The kernel world the allocator runs in: iomem_resource and (Arm) xen_resource, the
/// ZONE_DEVICE mappings made by memremap_pages, real RAM for the balloon/CMA paths, faults,
/// and the growth sequence that fill_list, fill_dma_pool and fill_pool share.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/icl/interval_set.hpp>

#include "model/core/geometry.h"
#include "model/core/observer.h"
#include "model/layout/layout.h"
#include "model/linux/faults.h"
#include "model/linux/mutants.h"
#include "model/linux/ram.h"
#include "model/linux/resource_tree.h"

namespace unpop {

/// Return value of a call that oopsed (NULL dereference / BUG()): the kernel is dead.
inline constexpr int kOops = -1000;

/// One growth attempt, as fill_list()/fill_dma_pool()/fill_pool() do it.
struct GrowSpec {
  std::uint64_t nr_pages = 0;      // what the caller asked to grow by (before round_up)
  std::uint64_t alloc_pages = 0;   // round_up(nr_pages, PAGES_PER_SECTION) normally
  const char* name = "Xen scratch";
  int pool = kMainPool;
  /// RFC fill_dma_pool(): after `tmp_res = kzalloc()` it tests `if (!res)`: a failed kzalloc
  /// goes on with tmp_res == NULL and oopses at `tmp_res->name = res->name`.
  bool tmp_res_slip = false;
  /// Where allocate_resource may place it (default: mhp_get_pluggable_range(true)).
  std::optional<Range> window;
  /// Runs after memremap_pages (gen_pool_add_virt or the list push); a non-zero return unwinds
  /// everything (memunmap_pages, release, kfree) as the RFC/V1 error labels do.
  std::function<int(Range)> finish;
};

struct GrowResult {
  int ret = 0;
  Range range{};
};

class Kernel {
 public:
  Kernel(const Layout& layout, const Geometry& geo, Mutant mutant, Observer* obs);
  /// A copy (replay's lockstep candidates split: traces/replay/lockstep.h) reports to the same
  /// observer, or to a silent one of its own if the original had none.
  Kernel(const Kernel&) = default;
  Kernel& operator=(const Kernel&) = delete;

  /// arch_xen_unpopulated_init() of arch/arm/xen/enlighten.c: xen_resource from the extended
  /// regions, "Unavailable space" holes between them. Sets target on success.
  int arm_init();
  /// The weak default / arch/x86/xen/enlighten.c: target = iomem_resource. Returns 0.
  int iomem_init();
  /// Reports the target to the observer (end of unpopulated_init).
  void report_target(int ret);

  /// The growth sequence; reports the attempt to the observer (range on success).
  GrowResult grow(const GrowSpec& spec);

  /// mm/memremap.c pagemap_range() checks: conflicting pgmap (-ENOMEM), System RAM (-ENXIO),
  /// outside the pluggable range (-EINVAL); the fault point memremap_pages (-ENOMEM).
  int memremap_pages(Range r);
  void memunmap_pages(Range r);

  /// A driver or memory hot-plug claims a range of iomem_resource at run time.
  int claim(Range r, const std::string& name, bool is_ram);

  /// Sections [s, s + k*section) inside the target's gaps (and free in iomem when the
  /// target is not iomem), for designs that choose where to grow.
  std::vector<Range> growable_space() const;

  const Layout& layout() const { return layout_; }
  const Geometry& geo() const { return geo_; }
  Mutant mutant() const { return mutant_; }
  bool mutant_is(Mutant m) const { return mutant_ == m; }
  Observer& obs() { return *obs_; }
  Target target_kind() const { return target_kind_; }
  bool has_target() const { return target_ != kNoRes; }
  Range pluggable() const { return pluggable_; }
  ResourceTree& tree() { return tree_; }
  const ResourceTree& tree() const { return tree_; }
  ResId iomem() const { return iomem_; }
  ResId target() const { return target_; }
  Faults& faults() { return faults_; }
  RamPool& ram() { return ram_; }
  const RamPool& ram() const { return ram_; }
  bool oopsed() const { return oopsed_; }
  void oops(const std::string& what);

 private:
  void add_iomem(const NamedRange& r);
  GrowResult grow_steps(const GrowSpec& spec);
  Layout layout_;
  Geometry geo_;
  Mutant mutant_;
  // The caller's observer, or a silent one of this object's own (which a copy does not share).
  class ObsSlot {
   public:
    explicit ObsSlot(Observer* o) : p_(o ? o : &silent_) {}
    ObsSlot(const ObsSlot& o) : p_(o.p_ == &o.silent_ ? &silent_ : o.p_) {}
    ObsSlot& operator=(const ObsSlot&) = delete;
    Observer& operator*() const { return *p_; }
    Observer* operator->() const { return p_; }

   private:
    Observer silent_;
    Observer* p_;
  };
  ObsSlot obs_;
  ResourceTree tree_;
  ResId iomem_ = kNoRes;
  ResId xen_res_ = kNoRes;
  ResId target_ = kNoRes;
  Target target_kind_ = Target::none;
  std::vector<Range> holes_;
  Range pluggable_{};
  // Ranges memremap'ed as ZONE_DEVICE (interval_set: only membership matters).
  boost::icl::interval_set<Addr> pgmaps_;
  RamPool ram_;
  Faults faults_;
  bool oopsed_ = false;
};

}  // namespace unpop
