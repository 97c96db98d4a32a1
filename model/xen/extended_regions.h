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
  /// Xen 4.18-4.20 (f37a598139 .. 9b21841fd1): add_ext_regions() got the last *frame* of a hole
  /// and used its address as the last byte, so each region came out up to 2 MiB smaller.
  bool size_bug_4_18 = false;
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
/// `size_bug_4_18` replays the Xen 4.18-4.20 rounding (see HostInput).
bool add_ext_region(Range hole, std::vector<Range>& out, std::vector<RegionDecision>& why,
                    std::size_t cap = kMaxExtRegions, bool size_bug_4_18 = false);

Result dom0_extended_regions(const HostInput& in);

/// The lines Xen's console prints for these regions (make_hypervisor_node's printk, ends
/// exclusive): "d0: extended region 0: 0x40400000->0x60000000". `domain` is the %pd text.
std::vector<std::string> console_lines(const Result& r, const std::string& domain = "d0");
Result domu_extended_regions(const DomUInput& in);

/// Builds a guest Layout around computed regions (dom0: RAM = dom0_ram, devices = host devices).
Layout dom0_layout(const std::string& name, const HostInput& in, const std::vector<NamedRange>& mmio);

/// The guest physical layout of an Arm domU (xen/include/public/arch-arm.h, Xen 4.17).
namespace guest {
inline constexpr Addr kGnttabBase = 0x38000000, kGnttabSize = 0x01000000;
inline constexpr Addr kMagicBase = 0x39000000, kMagicSize = 0x01000000;
inline constexpr Addr kRam0Base = 0x40000000, kRam0Size = 0xc0000000;
inline constexpr Addr kRam1Base = 0x0200000000, kRam1Size = 0xfe00000000;
inline constexpr Addr kGicv3GicdBase = 0x03001000, kGicv3GicdSize = 0x00010000;
inline constexpr Addr kGicv3Gicr0Base = 0x03020000, kGicv3Gicr0Size = 0x01000000;
inline constexpr Addr kPl011Base = 0x22000000, kPl011Size = 0x00001000;
inline constexpr Addr kVirtioMmioBase = 0x02000000, kVirtioMmioSize = 0x00100000;
}  // namespace guest

/// DomUInput for an xl guest with `ram_bytes` of RAM, filled the way libxl fills the banks
/// (bank 0 first, up to GUEST_RAM0_SIZE, the rest in bank 1).
DomUInput libxl_domu_input(std::uint64_t ram_bytes, unsigned gpaddr_bits = 40);

/// Builds a domU Layout: RAM = the allocated part of each bank, grant table = GUEST_GNTTAB,
/// the magic pages as reserved, and the given guest MMIO.
Layout domu_layout(const std::string& name, const DomUInput& in, const std::vector<NamedRange>& mmio);

}  // namespace unpop::xen
