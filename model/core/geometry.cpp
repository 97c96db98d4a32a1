#include "model/core/geometry.h"

#include <fmt/format.h>

namespace unpop {

const char* to_string(Arch a) { return a == Arch::arm64 ? "arm64" : "x86_64"; }

bool Geometry::make(Arch arch, std::uint64_t page_size, Geometry& out, std::string* why) {
  Geometry g;
  g.arch = arch;
  switch (page_size) {
    case 4096: g.page_shift = 12; break;
    case 16384: g.page_shift = 14; break;
    case 65536: g.page_shift = 16; break;
    default:
      if (why) *why = fmt::format("page size {} is not 4K, 16K or 64K", page_size);
      return false;
  }
  if (arch == Arch::x86_64) {
    if (page_size != 4096) {
      if (why) *why = "x86_64 has only 4K pages";
      return false;
    }
    g.section_size_bits = 27;
  } else {
    // arm64 sparsemem.h: "Section size must be at least 512MB for 64K base page size config";
    // "16K follows 4K for simplicity" -> 27.
    g.section_size_bits = page_size == 65536 ? 29 : 27;
  }
  out = g;
  return true;
}

std::string Geometry::page_size_name() const { return fmt::format("{}K", page_size() / 1024); }

std::uint64_t parse_page_size(const std::string& s) {
  if (s == "4K" || s == "4k" || s == "4096") return 4096;
  if (s == "16K" || s == "16k" || s == "16384") return 16384;
  if (s == "64K" || s == "64k" || s == "65536") return 65536;
  return 0;
}

}  // namespace unpop
