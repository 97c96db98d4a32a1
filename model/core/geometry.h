#pragma once
/// Page size, memory-section size and the pluggable range, derived as Linux derives them.
#include <cstdint>
#include <string>

#include "model/core/range.h"

namespace unpop {

enum class Arch { arm64, x86_64 };
const char* to_string(Arch a);

/// Page and section geometry in force for one model run.
///   arm64 (arch/arm64/include/asm/sparsemem.h): SECTION_SIZE_BITS = 29 for 64K pages,
///   27 for 4K and 16K. x86_64 (arch/x86/include/asm/sparsemem.h): 27, 4K pages only.
///   PAGES_PER_SECTION = 1 << (SECTION_SIZE_BITS - PAGE_SHIFT) (include/linux/mmzone.h).
struct Geometry {
  Arch arch = Arch::arm64;
  unsigned page_shift = 12;
  unsigned section_size_bits = 27;

  /// Fails (returns false, fills `why`) for page sizes the arch does not have.
  static bool make(Arch arch, std::uint64_t page_size, Geometry& out, std::string* why = nullptr);

  std::uint64_t page_size() const { return std::uint64_t{1} << page_shift; }
  std::uint64_t section_size() const { return std::uint64_t{1} << section_size_bits; }
  std::uint64_t pages_per_section() const { return std::uint64_t{1} << (section_size_bits - page_shift); }
  Pfn pfn(Addr a) const { return a >> page_shift; }          // PFN_DOWN
  Addr addr(Pfn p) const { return p << page_shift; }          // PFN_PHYS
  Range page_range(Pfn p) const { return Range::from_size(addr(p), page_size()); }
  std::string page_size_name() const;  // "4K", "16K", "64K"
};

/// Parses "4K", "16K", "64K", "4096", "16384", "65536". Returns 0 on error.
std::uint64_t parse_page_size(const std::string& s);

}  // namespace unpop
