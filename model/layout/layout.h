#pragma once
/// A guest's physical (IPA) layout: what the allocator's world looks like before it runs.
///
/// Built by the loaders in this folder (device-tree blob, /proc/iomem dump, layout file,
/// named presets) and, for "what would Xen advertise", by model/xen/. The layout does not
/// fix the page size: it only says which page size a preset boots with by default.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/core/geometry.h"
#include "model/core/range.h"

namespace unpop {

struct NamedRange {
  Range range;
  std::string name;
  friend bool operator==(const NamedRange&, const NamedRange&) = default;
};

struct Layout {
  std::string name;    // preset name or file name
  std::string source;  // how it was built: "preset", "dtb FILE", "iomem FILE", "layout FILE"
  Arch arch = Arch::arm64;
  std::uint64_t default_page_size = 4096;

  /// CONFIG_ARM64_PA_BITS / x86 MAX_PHYSMEM_BITS: the top of `iomem_resource` and of
  /// mhp_get_pluggable_range() is (1 << pa_bits) - 1.
  unsigned pa_bits = 48;
  /// arm64 VA_BITS: the linear map spans 2^(va_bits-1) bytes from memstart, which bounds
  /// arch_get_mappable_range(). Ignored on x86 (weak default: [0, -1]).
  unsigned va_bits = 48;

  std::vector<NamedRange> ram;       // "System RAM": DT memory nodes / iomem top level
  std::vector<NamedRange> reserved;  // reserved-memory with reg, iomem "reserved" not inside RAM
  std::vector<NamedRange> mmio;      // device reg ranges, PCI windows, iomem device entries

  /// Arm: a `xen,xen` hypervisor node exists (reg[0] = grant table, reg[1..] = extended
  /// regions). Without it, Linux's arch init fails with -ENODEV (balloon fallback).
  bool hypervisor_node = false;
  std::optional<Range> grant_table;
  /// Extended regions in device-tree order (Linux rejects unsorted or overlapping ones).
  std::vector<Range> ext_regions;
  /// ACPI boot on Arm: arch init returns -ENODEV.
  bool acpi = false;

  /// x86 PVH/HVM: xen_extra_mem regions that arch_xen_unpopulated_init seeds the list with.
  std::vector<NamedRange> extra_mem;

  /// Ranges an iomem dump already shows as "Xen scratch" / "Xen DMA pool" (a pool grown before
  /// the dump was taken). Informational: the model starts with an empty pool.
  std::vector<NamedRange> preexisting_pool;

  /// Everything the checker treats as "device" (reserved, MMIO, grant table), with names.
  std::vector<NamedRange> devices() const;

  friend bool operator==(const Layout&, const Layout&) = default;
};

/// memblock_start_of_DRAM rounded down to ARM64_MEMSTART_ALIGN (used for the linear map).
Addr arm64_memstart(const Layout& l, const Geometry& g);

/// mhp_get_pluggable_range(true) (mm/memory_hotplug.c) intersected with
/// arch_get_mappable_range() (arch/arm64/mm/mmu.c; x86 uses the weak default [0, -1]).
Range pluggable_range(const Layout& l, const Geometry& g);

/// [0, 2^pa_bits - 1]: PHYSMEM_END, the top of the pluggable range (and of x86's iomem_resource).
Range iomem_span(const Layout& l);

/// iomem_resource itself: kernel/resource.c initialises it to [0, -1]; x86's setup_arch()
/// narrows it to the CPU's physical address bits, arm64 leaves it (so a device tree's MMIO above
/// 2^pa_bits is still requested: found by conformance, docs/conformance.md).
Range iomem_resource_span(const Layout& l);

/// Error raised by every loader: names the file, the line (0 if not line-based) and what was
/// expected. The CLI turns it into exit code 2.
struct LoadError {
  std::string file;
  std::size_t line = 0;
  std::string message;
  std::string what() const;
};

}  // namespace unpop
