#pragma once
/// Xen's side: which extended regions Xen advertises to a guest, computed as Xen computes them.
#include <cstdint>
#include <string>
#include <vector>

#include "model/core/range.h"
#include "model/layout/layout.h"

namespace unpop::xen {

/// Inputs for a direct-mapped (1:1) dom0 (xen/arch/arm/domain_build.c).
struct HostInput {
  std::vector<Range> host_ram;         // bootinfo mem banks
  std::vector<Range> dom0_ram;         // the domain's (1:1) RAM banks
  std::vector<Range> reserved;         // reserved-memory
  std::vector<Range> device_regs;      // every DT reg range of every node (used with an IOMMU)
  std::vector<Range> pci_windows;      // PCI host-bridge `ranges` apertures (IOMMU case)
  std::vector<Range> static_shm;       // static shared memory
  std::vector<Range> xen_reg;          // xen,reg ranges
  Range grant_table{};                 // find_gnttab_region(): __pa(_stext), 64 frames default
  bool iommu = false;                  // is_iommu_enabled(d)
  unsigned p2m_ipa_bits = 40;          // p2m_ipa_bits
  bool is_32bit = false;               // "extended regions not supported for 32-bit guests"
  bool ext_regions_opt = true;         // ext_regions= command line
};

/// Inputs for a non-direct-mapped domU (libxl finalize_hypervisor_node, dom0less find_domU_holes).
struct DomUInput {
  std::vector<Range> bank;             // GUEST_RAM0/RAM1 base+size (the whole reserved bank)
  std::vector<std::uint64_t> allocated; // bytes of RAM actually given in each bank
  std::vector<Range> iomem;            // xl iomem= passthrough ranges (Xen 4.21+ cuts them out)
  unsigned gpaddr_bits = 40;
  std::size_t max_regions = 256;       // 4.17 libxl: GUEST_RAM_BANKS (2); master: 256
};

/// Xen's constants: 2 MiB alignment, 64 MiB minimum, 256 entries (NR_MEM_BANKS).
inline constexpr std::uint64_t kExtRegionAlign = 2ull << 20;
inline constexpr std::uint64_t kExtRegionMinSize = 64ull << 20;
inline constexpr std::size_t kMaxExtRegions = 256;

/// One candidate hole and what Xen did with it (for "why not" explanations).
struct RegionDecision {
  Range hole;            // the free range before rounding
  bool kept = false;
  Range region{};        // after 2 MiB rounding (when kept)
  std::string why;       // "kept", "smaller than 64 MiB after 2 MiB alignment", "list full"
};

struct Result {
  std::vector<Range> regions;          // what goes into reg[1..], in ascending order
  std::vector<RegionDecision> decisions;
  std::string method;                  // "find_unallocated_memory", "find_memory_holes", ...
};

/// add_ext_regions(): ROUNDUP start to 2 MiB, round size down to 2 MiB, drop < 64 MiB, cap 256.
bool add_ext_region(Range hole, std::vector<Range>& out, std::vector<RegionDecision>& why,
                    std::size_t cap = kMaxExtRegions);

Result dom0_extended_regions(const HostInput& in);
Result domu_extended_regions(const DomUInput& in);

/// Builds a guest Layout around computed regions (dom0: RAM = dom0_ram, devices = host devices).
Layout dom0_layout(const std::string& name, const HostInput& in, const std::vector<NamedRange>& mmio);

}  // namespace unpop::xen
