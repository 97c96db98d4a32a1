// Xen's extended-region computation, mirrored from
//   xen/arch/arm/domain_build.c (RELEASE-4.17.0): add_ext_regions, find_unallocated_memory,
//   find_memory_holes, make_hypervisor_node;
//   tools/libs/light/libxl_arm.c: finalize_hypervisor_node (4.17 and master, 108308feef).
// See docs/xen-side.md for the mapping, step by step.
#include "model/xen/extended_regions.h"

#include <algorithm>

#include <boost/icl/closed_interval.hpp>
#include <boost/icl/interval_set.hpp>
#include <fmt/format.h>

namespace unpop::xen {
namespace {

// Xen's `struct rangeset` keeps inclusive [s, e] ranges and merges a range with its neighbours
// when they touch (rangeset_add_range), so what rangeset_report_ranges() hands to the callback
// is always a maximal run of free addresses. A *joining* interval_set of closed intervals over
// a discrete domain behaves the same way: [a, b] + [b+1, c] becomes [a, c]. A splitting or
// separating set would hand add_ext_region() two pieces of one hole, each of which could fall
// under the 64 MiB minimum on its own, and Xen would then advertise less than it does.
using AddrSet = boost::icl::interval_set<Addr, std::less, boost::icl::closed_interval<Addr>>;
using Interval = boost::icl::closed_interval<Addr>;

constexpr Addr kXenPageSize = 4096;

// HostInput::grant_table defaults to Range{} = {0, 0}: that, or an invalid range, means "no
// grant table" (gnttab_size == 0, skipped since 21ec0c4226), not a 1-byte table at 0.
bool has_grant_table(const HostInput& in) { return in.grant_table.valid() && in.grant_table != Range{}; }

Addr top_of(unsigned bits) { return bits >= 64 ? ~Addr{0} : (Addr{1} << bits) - 1; }

void add(AddrSet& s, const Range& r) {
  if (r.valid()) s += Interval(r.start, r.end);
}
void remove(AddrSet& s, const Range& r) {
  if (r.valid()) s -= Interval(r.start, r.end);
}

// find_memory_holes() removes `[addr & PAGE_MASK, PAGE_ALIGN(addr + size) - 1]` for every
// reg / PCI range (handle_pci_range does the same): whole Xen pages.
Range page_widen(const Range& r) {
  Addr end = r.end | (kXenPageSize - 1);
  return Range{align_down(r.start, kXenPageSize), end};
}

// rangeset_report_ranges(r, s, e, cb): every range of r clipped to [s, e], ascending.
void report_ranges(const AddrSet& set, Range window, const HostInput& in, Result& res) {
  for (const auto& iv : set) {
    Range r{boost::icl::lower(iv), boost::icl::upper(iv)};
    auto clipped = r.intersect(window);
    if (!clipped) continue;
    add_ext_region(*clipped, res.regions, res.decisions, kMaxExtRegions, in.size_bug_4_18);
  }
}

// Static shared memory (a0fee882c1, 4.19) and xen,reg (3af8a6ed8e, 4.21) are removed on both
// dom0 paths on master; in 4.17 they do not exist, and an empty list reproduces 4.17 exactly.
void remove_later_exclusions(AddrSet& s, const HostInput& in) {
  for (const auto& r : in.static_shm) remove(s, r);
  for (const auto& r : in.xen_reg) remove(s, r);
}

// find_unallocated_memory(): host RAM minus everything assigned to dom0.
AddrSet unallocated_memory(const HostInput& in) {
  AddrSet s;
  for (const auto& r : in.host_ram) add(s, r);
  for (const auto& r : in.dom0_ram) remove(s, r);
  for (const auto& r : in.reserved) remove(s, r);
  // An empty grant-table region is skipped since 21ec0c4226 (before it, Xen ASSERTed).
  if (has_grant_table(in)) remove(s, in.grant_table);
  remove_later_exclusions(s, in);
  return s;
}

// find_memory_holes(): the whole IPA space minus every DT `reg` and every PCI aperture.
// Xen walks the host DT, so host RAM (memory nodes) and reserved-memory children are part of
// "every reg"; we remove them from their own lists too. The grant table lives in Xen's text,
// inside host RAM, so removing it changes nothing for real inputs and keeps odd ones safe.
AddrSet memory_holes(const HostInput& in) {
  AddrSet s;
  add(s, Range{0, top_of(in.p2m_ipa_bits)});
  for (const auto* list : {&in.device_regs, &in.host_ram, &in.dom0_ram, &in.reserved, &in.pci_windows})
    for (const auto& r : *list) remove(s, page_widen(r));
  if (has_grant_table(in)) remove(s, in.grant_table);
  remove_later_exclusions(s, in);
  return s;
}

std::string mib(std::uint64_t bytes) {
  if (bytes % (1ull << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{:#x} bytes", bytes);
}

}  // namespace

bool add_ext_region(Range hole, std::vector<Range>& out, std::vector<RegionDecision>& why, std::size_t cap,
                    bool size_bug_4_18) {
  RegionDecision d{hole, false, {}, ""};
  // add_ext_regions(): "if ( ext_regions->nr_banks >= ARRAY_SIZE(ext_regions->bank) ) return 0"
  if (out.size() >= cap) {
    d.why = fmt::format("list full ({} regions)", cap);
    why.push_back(d);
    return false;
  }
  // 4.18-4.20 passed frame numbers: e = pfn_to_paddr(e_gfn) is the last page's first byte.
  Addr e = size_bug_4_18 ? align_down(hole.end, kXenPageSize) : hole.end;
  // "Both start and size of the extended region should be 2MB aligned to potentially allow
  // superpage mapping."  start = ROUNDUP(s, SZ_2M); if (start > e) skip.
  Addr start = align_up(hole.start, kExtRegionAlign);
  if (start < hole.start || start > e) {  // first test: ROUNDUP wrapped past 2^64
    d.why = "empty after rounding the start up to 2 MiB";
    why.push_back(d);
    return false;
  }
  // "e is actually end-1": size = (e + 1 - start) & ~(SZ_2M - 1), written so that a hole
  // ending at 2^64-1 does not wrap: n + 1 gains a 2 MiB step exactly when n % 2M == 2M - 1.
  const Addr n = e - start;
  Addr size = align_down(n, kExtRegionAlign) +
              ((n & (kExtRegionAlign - 1)) == kExtRegionAlign - 1 ? kExtRegionAlign : 0);
  if (size < kExtRegionMinSize) {
    d.why = fmt::format("{} after 2 MiB alignment: smaller than 64 MiB", mib(size));
    why.push_back(d);
    return false;
  }
  d.kept = true;
  d.region = Range::from_size(start, size);
  d.why = "kept";
  out.push_back(d.region);
  why.push_back(d);
  return true;
}

Result dom0_extended_regions(const HostInput& in) {
  Result res;
  // make_hypervisor_node(): the option and the guest's bitness come first.
  if (!in.ext_regions_opt) {
    res.method = "none: extended regions support is disabled (ext_regions=no)";
    return res;
  }
  if (in.is_32bit) {
    res.method = "none: extended regions not supported for 32-bit guests";
    return res;
  }
  // dom0 is direct-mapped (1:1): no IOMMU -> unused host RAM; IOMMU -> holes in the host map
  // (RAM may then be used by DMA, so only address space nobody describes is safe).
  const bool holes = in.iommu;
  AddrSet free = holes ? memory_holes(in) : unallocated_memory(in);
  res.method = holes ? "find_memory_holes" : "find_unallocated_memory";
  report_ranges(free, Range{0, top_of(in.p2m_ipa_bits)}, in, res);
  return res;
}

std::vector<std::string> console_lines(const Result& r, const std::string& domain) {
  std::vector<std::string> out;
  // printk("%pd: extended region %d: %#"PRIx64"->%#"PRIx64"\n", d, i, start, start + size)
  for (std::size_t i = 0; i < r.regions.size(); ++i)
    out.push_back(fmt::format("{}: extended region {}: {:#x}->{:#x}", domain, i, r.regions[i].start,
                              r.regions[i].end + 1));
  return out;
}

namespace {

// libxl master (108308feef): cut the sorted passthrough iomem ranges out of one bank's
// unallocated range; every remaining piece is kept if it is >= 64 MiB (no 2 MiB rounding).
void cut_iomem(Range unallocated, std::vector<Range> iomem, std::size_t cap, Result& res) {
  std::sort(iomem.begin(), iomem.end());
  auto keep = [&](Range piece, const char* what) {
    RegionDecision d{piece, false, {}, ""};
    if (res.regions.size() >= cap) {
      d.why = fmt::format("list full ({} regions)", cap);
    } else if (piece.size() < kExtRegionMinSize) {
      d.why = fmt::format("{} {}: smaller than 64 MiB", mib(piece.size()), what);
    } else {
      d.kept = true;
      d.region = piece;
      d.why = "kept";
      res.regions.push_back(piece);
    }
    res.decisions.push_back(d);
  };
  for (const auto& io : iomem) {
    if (res.regions.size() >= cap) break;
    if (!io.overlaps(unallocated)) continue;
    if (io.start > unallocated.start)
      keep(Range{unallocated.start, io.start - 1}, "before passthrough iomem");
    if (io.end >= unallocated.end) return;  // nothing left after this iomem range
    unallocated.start = io.end + 1;
  }
  keep(unallocated, "after passthrough iomem");
}

}  // namespace

Result domu_extended_regions(const DomUInput& in) {
  Result res;
  res.method = "libxl finalize_hypervisor_node";
  const Addr top = top_of(in.gpaddr_bits);
  for (std::size_t i = 0; i < in.bank.size() && res.regions.size() < in.max_regions; ++i) {
    const Range& bank = in.bank[i];
    // More RAM than the bank holds cannot happen in libxl; clamp so the align-up cannot wrap.
    const std::uint64_t allocated = std::min(i < in.allocated.size() ? in.allocated[i] : 0, bank.size());
    // start = bankbase + ALIGN_UP_TO_2MB(rambank_size << XC_PAGE_SHIFT)
    Range hole{bank.start + align_up(allocated, kExtRegionAlign), std::min(top, bank.end)};
    // libxl keeps the region only if unallocated.end >= start and size >= EXT_REGION_MIN_SIZE
    if (hole.start > hole.end || hole.start < bank.start || hole.size() < kExtRegionMinSize) {
      RegionDecision d{hole, false, {}, ""};
      d.why = hole.start > hole.end ? "bank fully allocated or above gpaddr_bits"
                                    : fmt::format("{} unallocated: smaller than 64 MiB", mib(hole.size()));
      res.decisions.push_back(d);
      continue;
    }
    cut_iomem(hole, in.iomem, in.max_regions, res);
  }
  return res;
}

DomUInput libxl_domu_input(std::uint64_t ram_bytes, unsigned gpaddr_bits) {
  DomUInput in;
  in.bank = {Range::from_size(guest::kRam0Base, guest::kRam0Size),
             Range::from_size(guest::kRam1Base, guest::kRam1Size)};
  // libxl__arch_domain_construct_memmap / xc_dom: bank 0 first, the rest in bank 1.
  std::uint64_t low = std::min<std::uint64_t>(ram_bytes, guest::kRam0Size);
  in.allocated = {low, ram_bytes - low};
  in.gpaddr_bits = gpaddr_bits;
  in.max_regions = 2;  // 4.17: GUEST_RAM_BANKS
  return in;
}

namespace {
std::vector<NamedRange> named(const std::vector<Range>& rs, const char* name) {
  std::vector<NamedRange> out;
  for (const auto& r : rs) out.push_back({r, name});
  return out;
}
}  // namespace

Layout dom0_layout(const std::string& name, const HostInput& in, const std::vector<NamedRange>& mmio) {
  Layout l;
  l.name = name;
  const Result res = dom0_extended_regions(in);
  l.source = "xen dom0 (" + res.method + ")";
  l.arch = Arch::arm64;
  l.ram = named(in.dom0_ram, "System RAM");
  l.reserved = named(in.reserved, "reserved");
  l.mmio = mmio;
  l.hypervisor_node = true;  // make_hypervisor_node() always writes the node for dom0
  if (has_grant_table(in)) l.grant_table = in.grant_table;
  l.ext_regions = res.regions;
  return l;
}

Layout domu_layout(const std::string& name, const DomUInput& in, const std::vector<NamedRange>& mmio) {
  Layout l;
  l.name = name;
  l.source = "xen domU (libxl finalize_hypervisor_node)";
  l.arch = Arch::arm64;
  for (std::size_t i = 0; i < in.bank.size() && i < in.allocated.size(); ++i)
    if (in.allocated[i] > 0)
      l.ram.push_back({Range::from_size(in.bank[i].start, in.allocated[i]), "System RAM"});
  // The magic pages (console, xenstore, ...) are populated but not in the DT memory node.
  l.reserved.push_back({Range::from_size(guest::kMagicBase, guest::kMagicSize), "xen magic pages"});
  l.mmio = mmio;
  for (const auto& io : in.iomem) l.mmio.push_back({io, "passthrough iomem"});
  std::sort(l.mmio.begin(), l.mmio.end(), [](const auto& a, const auto& b) { return a.range < b.range; });
  l.hypervisor_node = true;
  l.grant_table = Range::from_size(guest::kGnttabBase, guest::kGnttabSize);
  l.ext_regions = domu_extended_regions(in).regions;
  return l;
}

}  // namespace unpop::xen
