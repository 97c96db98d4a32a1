// merge_layouts: a /proc/iomem dump knows what Linux claimed; the DTB knows the hypervisor node
// (grant table, extended regions) and devices no driver claimed. Together they are the world.
#include <algorithm>

#include "model/layout/loaders.h"

namespace unpop {
namespace {

// Adds every range of `extra` that overlaps nothing already in `base`: the base's entry (and
// its name) wins where both describe the same addresses, e.g. iomem "PCI ECAM" vs the DT's
// "pcie@10000000" reg.
void add_missing(std::vector<NamedRange>& base, const std::vector<NamedRange>& extra) {
  const std::vector<NamedRange> before = base;
  for (const auto& e : extra) {
    bool covered = std::any_of(before.begin(), before.end(),
                               [&](const NamedRange& b) { return b.range.overlaps(e.range); });
    if (!covered) base.push_back(e);
  }
  std::stable_sort(base.begin(), base.end(), [](const auto& a, const auto& b) { return a.range < b.range; });
}

}  // namespace

Layout merge_layouts(const Layout& base, const Layout& extra) {
  Layout out = base;
  out.name = base.name + "+" + extra.name;
  out.source = base.source + " + " + extra.source;
  add_missing(out.ram, extra.ram);
  add_missing(out.reserved, extra.reserved);
  add_missing(out.mmio, extra.mmio);
  add_missing(out.extra_mem, extra.extra_mem);
  add_missing(out.preexisting_pool, extra.preexisting_pool);
  // The hypervisor node exists only in a DT: take it whole from whichever side has it.
  if (!base.hypervisor_node && extra.hypervisor_node) {
    out.hypervisor_node = true;
    out.grant_table = extra.grant_table;
    out.ext_regions = extra.ext_regions;
  }
  out.acpi = base.acpi || extra.acpi;
  return out;
}

}  // namespace unpop
