#include "conform/harness/world.h"

#include "model/linux/ram.h"

namespace unpop::conform {

World::World(const Layout& l, const Geometry& g) {
  // iomem_resource's top level in the order the model's Kernel requests it: System RAM,
  // xen_extra_mem (System RAM too), reserved memory, device MMIO.
  struct Entry {
    const NamedRange* r;
    bool ram;
  };
  std::vector<Entry> entries;
  for (const auto& r : l.ram) entries.push_back({&r, true});
  for (const auto& r : l.extra_mem) entries.push_back({&r, true});
  for (const auto& r : l.reserved) entries.push_back({&r, false});
  for (const auto& r : l.mmio) entries.push_back({&r, false});
  names_.reserve(entries.size());
  for (const auto& e : entries) {
    names_.push_back(e.ram ? "System RAM" : e.r->name);
    iomem_.push_back(kapi_named{e.r->range.start, e.r->range.end, nullptr, e.ram ? 1 : 0});
  }
  for (std::size_t i = 0; i < iomem_.size(); ++i) iomem_[i].name = names_[i].c_str();
  for (const auto& r : l.ram) ram_.push_back({r.range.start, r.range.end});
  // The hypervisor node's reg: region 0 is the grant table, then the extended regions.
  if (l.hypervisor_node) {
    Range gt = l.grant_table.value_or(Range{0x38000000, 0x38ffffff});
    hyp_.push_back({gt.start, gt.end});
    for (const auto& r : l.ext_regions) hyp_.push_back({r.start, r.end});
  }
  for (const auto& r : l.extra_mem) {
    Pfn lo = g.pfn(r.range.start), hi = g.pfn(r.range.end);
    extra_.push_back({lo, hi - lo + 1});  // (start_pfn, n_pfns)
  }
  w_.x86 = l.arch == Arch::x86_64;
  w_.page_shift = g.page_shift;
  w_.section_size_bits = g.section_size_bits;
  w_.pa_bits = l.pa_bits;
  w_.va_bits = l.va_bits;
  w_.iomem = iomem_.data();
  w_.nr_iomem = static_cast<unsigned>(iomem_.size());
  w_.ram = ram_.data();
  w_.nr_ram = static_cast<unsigned>(ram_.size());
  w_.hypervisor_node = l.hypervisor_node;
  w_.acpi = l.acpi;
  w_.hyp_reg = hyp_.data();
  w_.nr_hyp_reg = static_cast<unsigned>(hyp_.size());
  w_.extra_mem = extra_.data();
  w_.nr_extra_mem = static_cast<unsigned>(extra_.size());
  w_.balloon_pages = RamPool(l, g).free_pages();
}

}  // namespace unpop::conform
