#include "model/layout/layout.h"

#include <algorithm>

#include <fmt/format.h>

namespace unpop {

std::vector<NamedRange> Layout::devices() const {
  std::vector<NamedRange> out = reserved;
  out.insert(out.end(), mmio.begin(), mmio.end());
  if (grant_table) out.push_back({*grant_table, "grant table"});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.range < b.range; });
  return out;
}

Addr arm64_memstart(const Layout& l, const Geometry& g) {
  // arch/arm64/include/asm/kernel-pgtable.h: ARM64_MEMSTART_SHIFT is PUD_SHIFT (30) for 4K,
  // CONT_PMD_SHIFT (30) for 16K, PMD_SHIFT (29) for 64K; never below SECTION_SIZE_BITS.
  unsigned shift = g.page_shift == 16 ? 29 : 30;
  shift = std::max(shift, g.section_size_bits);
  Addr lowest = ~Addr{0};
  for (const auto& r : l.ram) lowest = std::min(lowest, r.range.start);
  if (l.ram.empty()) lowest = 0;
  return align_down(lowest, Addr{1} << shift);
}

Range iomem_span(const Layout& l) {
  return Range{0, l.pa_bits >= 64 ? ~Addr{0} : (Addr{1} << l.pa_bits) - 1};
}

Range iomem_resource_span(const Layout& l) {
  return l.arch == Arch::x86_64 ? iomem_span(l) : Range{0, ~Addr{0}};
}

Range pluggable_range(const Layout& l, const Geometry& g) {
  const Addr max_phys = iomem_span(l).end;  // PHYSMEM_END = (1 << MAX_PHYSMEM_BITS) - 1
  Range mappable{0, ~Addr{0}};              // weak arch_get_mappable_range() (x86)
  if (l.arch == Arch::arm64) {
    // arch/arm64/mm/mmu.c: [__pa(_PAGE_OFFSET(vabits_actual)), __pa(PAGE_END - 1)]: the linear
    // map covers 2^(VA_BITS-1) bytes from memstart_addr. (KASLR wrap-around is not modelled:
    // our layouts boot with nokaslr, as the fixture's dom0 did.)
    Addr start = arm64_memstart(l, g);
    mappable = Range{start, start + ((Addr{1} << (l.va_bits - 1)) - 1)};
  }
  // mm/memory_hotplug.c mhp_get_pluggable_range(true)
  if (mappable.start > max_phys) return Range{0, 0};
  mappable.end = std::min(mappable.end, max_phys);
  return mappable;
}

std::string LoadError::what() const {
  if (line) return fmt::format("{}:{}: {}", file, line, message);
  return fmt::format("{}: {}", file, message);
}

}  // namespace unpop
