#pragma once
/// Addresses and inclusive ranges, as in `struct resource` (start..end, end inclusive).
#include <cstdint>
#include <optional>
#include <string>

namespace unpop {

using Addr = std::uint64_t;
using Pfn = std::uint64_t;

/// An inclusive range [start, end] of guest-physical (IPA) bytes, like `struct resource`.
/// Inclusive because a range may end at 2^64-1 and the kernel, Xen's logs and /proc/iomem all
/// print inclusive ends; `size()` of the full 64-bit space does not fit and is never asked for.
struct Range {
  Addr start = 0;
  Addr end = 0;

  static Range from_size(Addr start, Addr size) { return {start, start + size - 1}; }
  Addr size() const { return end - start + 1; }
  bool valid() const { return start <= end; }
  bool contains(Addr a) const { return start <= a && a <= end; }
  bool contains(const Range& o) const { return start <= o.start && o.end <= end; }
  bool overlaps(const Range& o) const { return start <= o.end && o.start <= end; }
  std::optional<Range> intersect(const Range& o) const {
    if (!overlaps(o)) return std::nullopt;
    return Range{start > o.start ? start : o.start, end < o.end ? end : o.end};
  }
  friend bool operator==(const Range&, const Range&) = default;
  friend auto operator<=>(const Range&, const Range&) = default;
};

/// "0x40400000-0x5fffffff", the form Linux's %pR and /proc/iomem use (with 0x).
std::string to_string(const Range& r);
std::string hex(Addr a);
/// "256 KiB", "508 MiB", "1 GiB", "1.5 GiB": sizes as a person reads them.
std::string human_size(std::uint64_t bytes);

/// Round helpers with the kernel's names; `align` must be a power of two.
constexpr Addr align_up(Addr x, Addr align) { return (x + align - 1) & ~(align - 1); }
constexpr Addr align_down(Addr x, Addr align) { return x & ~(align - 1); }
constexpr bool is_aligned(Addr x, Addr align) { return (x & (align - 1)) == 0; }
/// round_up(n, m) for a power-of-two m, as <linux/math.h>.
constexpr std::uint64_t round_up(std::uint64_t n, std::uint64_t m) { return ((n - 1) | (m - 1)) + 1; }

}  // namespace unpop
