#include "model/linux/kernel.h"

#include <algorithm>

#include "model/core/errno.h"

namespace unpop {

using AddrInterval = boost::icl::interval_set<Addr>::interval_type;

Kernel::Kernel(const Layout& layout, const Geometry& geo, Mutant mutant, Observer* obs)
    : layout_(layout), geo_(geo), mutant_(mutant), obs_(obs), ram_(layout, geo) {
  iomem_ = tree_.make_root("PCI mem", iomem_resource_span(layout_));
  pluggable_ = pluggable_range(layout_, geo_);
  // Top level of /proc/iomem at boot: System RAM, no-map reserved memory, device MMIO.
  // (The grant-table frames are not an iomem resource: Xen maps them, Linux does not claim them.)
  for (const auto& r : layout_.ram) add_iomem({r.range, "System RAM"});
  for (const auto& r : layout_.extra_mem) add_iomem({r.range, "System RAM"});
  for (const auto& r : layout_.reserved) add_iomem(r);
  for (const auto& r : layout_.mmio) add_iomem(r);
}

void Kernel::add_iomem(const NamedRange& r) {
  // Overlapping entries of a layout (reserved inside RAM) do not become top-level resources.
  ResId id = tree_.make(r.name, r.range);
  if (tree_.request(iomem_, id) != 0) return;
}

void Kernel::oops(const std::string& what) {
  oopsed_ = true;
  obs_->kernel_bug(what);
}

int Kernel::arm_init() {
  const auto& regs = layout_.ext_regions;
  if (layout_.acpi) return -err::enodev;             // !acpi_disabled
  if (!layout_.hypervisor_node) return -err::enodev;  // no "xen,xen" node
  if (regs.empty()) return -err::einval;             // "No extended regions are found"
  Addr lo = ~Addr{0}, hi = 0;
  for (const auto& r : regs) {
    lo = std::min(lo, r.start);
    hi = std::max(hi, r.end);
  }
  xen_res_ = tree_.make_root("Xen unused space", Range{lo, hi});
  for (std::size_t i = 1; i < regs.size(); ++i) {
    // "if (regs[i - 1].end + 1 > regs[i].start)": overlap or unsorted -> -EINVAL. Holes
    // already inserted are not removed (the err: path only frees regs).
    if (regs[i - 1].end + 1 > regs[i].start) return -err::einval;
    if (regs[i - 1].end + 1 == regs[i].start) continue;  // adjacent: no hole
    Range hole{regs[i - 1].end + 1, regs[i].start - 1};
    if (mutant_is(Mutant::no_holes)) continue;
    ResId h = tree_.make("Unavailable space", hole);
    if (tree_.insert(xen_res_, h) != 0) return -err::ebusy;  // "Cannot insert resource"
    holes_.push_back(hole);
  }
  target_ = xen_res_;
  target_kind_ = Target::xen_resource;
  return 0;
}

int Kernel::iomem_init() {
  target_ = iomem_;
  target_kind_ = Target::iomem;
  return 0;
}

void Kernel::report_target(int ret) {
  std::optional<Range> span;
  if (target_ != kNoRes) span = tree_.get(target_).range;
  obs_->target_built(target_kind_, span, holes_, ret);
}

int Kernel::memremap_pages(Range r) {
  if (faults_.hit(FaultPoint::memremap_pages)) return -err::enomem;
  // pagemap_range(): "Conflicting mapping in same section" if the first or last pfn has a pgmap.
  if (boost::icl::contains(pgmaps_, r.start) || boost::icl::contains(pgmaps_, r.end)) return -err::enomem;
  // region_intersects(..., IORESOURCE_SYSTEM_RAM) != REGION_DISJOINT -> -ENXIO.
  for (const auto& ram : layout_.ram)
    if (ram.range.overlaps(r)) return -err::enxio;
  // mhp_range_allowed(start, size, true): must lie in mhp_get_pluggable_range(true).
  if (!pluggable_.contains(r)) return -err::einval;
  pgmaps_ += AddrInterval::closed(r.start, r.end);
  return 0;
}

void Kernel::memunmap_pages(Range r) { pgmaps_ -= AddrInterval::closed(r.start, r.end); }

GrowResult Kernel::grow(const GrowSpec& spec) {
  GrowResult g = grow_steps(spec);
  if (g.ret != kOops)  // a dead kernel reports nothing more
    obs_->growth(spec.pool, spec.nr_pages, g.ret == 0 ? std::optional<Range>(g.range) : std::nullopt, g.ret);
  return g;
}

GrowResult Kernel::grow_steps(const GrowSpec& spec) {
  const std::uint64_t page = geo_.page_size();
  const std::uint64_t size = spec.alloc_pages * page;
  const bool keep_on_error = mutant_is(Mutant::no_rollback);
  // res = kzalloc(...)
  if (faults_.hit(FaultPoint::kzalloc)) return {-err::enomem, {}};
  ResId res = tree_.make(spec.name);
  // allocate_resource(target_resource, res, alloc_pages * PAGE_SIZE, mhp_range.start,
  //                   mhp_range.end, PAGES_PER_SECTION * PAGE_SIZE, NULL, NULL)
  Range win = spec.window.value_or(pluggable_);
  std::uint64_t align = mutant_is(Mutant::no_section_align) ? page : geo_.section_size();
  int ret = faults_.hit(FaultPoint::allocate_resource)
                ? -err::ebusy
                : tree_.allocate(target_, res, size, win.start, win.end, align,
                                 mutant_is(Mutant::overlapping_growth));
  if (ret < 0) return {ret, {}};  // "Cannot allocate new IOMEM resource"; kfree(res)
  Range range = tree_.get(res).range;
  if (mutant_is(Mutant::range_end_off_by_one)) range.end += 1;
  auto unwind = [&](ResId tmp, int r) -> GrowResult {
    if (!keep_on_error) {
      if (tmp != kNoRes) tree_.release(tmp);
      tree_.release(res);
    }
    return {r, {}};
  };
  ResId tmp = kNoRes;
  if (target_ != iomem_) {
    // Reserve the range in iomem_resource too, so nobody else uses it.
    if (faults_.hit(FaultPoint::kzalloc)) {
      if (spec.tmp_res_slip) {  // `if (!res)` is false: tmp_res->name = ... on NULL
        oops("fill_dma_pool: NULL pointer dereference of tmp_res (kzalloc failed, `if (!res)` tested)");
        return {kOops, {}};
      }
      return unwind(kNoRes, -err::enomem);
    }
    tmp = tree_.make(spec.name, range);
    ret = faults_.hit(FaultPoint::request_resource) ? -err::ebusy : tree_.request(iomem_, tmp);
    if (ret < 0) return unwind(kNoRes, ret);  // "Cannot request resource %pR (%d)"; kfree(tmp_res)
  }
  if (faults_.hit(FaultPoint::kzalloc)) return unwind(tmp, -err::enomem);  // pgmap
  ret = memremap_pages(range);
  if (ret < 0) return unwind(tmp, ret);  // "Cannot remap memory range"
  if (spec.finish) {
    ret = spec.finish(range);
    if (ret < 0) {
      memunmap_pages(range);
      return unwind(tmp, ret);
    }
  }
  return {0, range};
}

int Kernel::claim(Range r, const std::string& name, bool is_ram) {
  ResId id = tree_.make(name, r);
  int ret = tree_.request(iomem_, id);
  if (ret == 0) obs_->claimed(r, name, is_ram);
  return ret;
}

std::vector<Range> Kernel::growable_space() const {
  std::vector<Range> out;
  if (target_ == kNoRes) return out;
  const Addr sec = geo_.section_size();
  for (const Range& gap : tree_.gaps(target_, pluggable_.start, pluggable_.end)) {
    std::vector<Range> pieces{gap};
    if (target_ != iomem_) {  // the mirror request_resource must succeed too
      pieces.clear();
      for (const Range& g2 : tree_.gaps(iomem_, gap.start, gap.end)) pieces.push_back(g2);
    }
    for (const Range& p : pieces) {
      Addr s = align_up(p.start, sec);
      if (s < p.start || s > p.end) continue;
      Addr e = align_down(p.end + 1, sec);
      if (e > s) out.push_back({s, e - 1});
    }
  }
  return out;
}

}  // namespace unpop
