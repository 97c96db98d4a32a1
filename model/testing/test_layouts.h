#pragma once
/// Hand-built layouts for unit tests (independent of the presets and loaders).
#include "model/case/case.h"
#include "model/layout/layout.h"

namespace unpop::testing {

/// The QEMU virt dom0 of the fixture: RAM 0x60000000-0x7fffffff, grant table at
/// 0x40200000, extended regions 0x40400000-0x5fffffff and 0x80000000-0xbfffffff.
inline Layout qemu_dom0() {
  Layout l;
  l.name = "test-qemu-dom0";
  l.ram = {{{0x60000000, 0x7fffffff}, "System RAM"}};
  l.mmio = {{{0x08000000, 0x0800ffff}, "GICD"}, {{0x10000000, 0x3efeffff}, "pcie@10000000"}};
  l.hypervisor_node = true;
  l.grant_table = Range{0x40200000, 0x4023ffff};
  l.ext_regions = {{0x40400000, 0x5fffffff}, {0x80000000, 0xbfffffff}};
  return l;
}

inline Case make_case(const Layout& l, const std::string& variant, const std::vector<std::string>& ops,
                      std::uint64_t page_size = 4096, Mutant m = Mutant::none) {
  Case c;
  c.layout = l;
  c.variant = variant;
  c.page_size = page_size;
  c.mutant = m;
  for (const auto& o : ops) c.ops.push_back(parse_op(o));
  return c;
}

}  // namespace unpop::testing
