#include "model/core/range.h"

#include <fmt/format.h>

namespace unpop {

std::string hex(Addr a) { return fmt::format("{:#x}", a); }
std::string human_size(std::uint64_t b) {
  static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  double v = static_cast<double>(b);
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} bytes", b);
  return v == static_cast<double>(static_cast<std::uint64_t>(v)) ? fmt::format("{} {}", static_cast<std::uint64_t>(v), units[u])
                                                                 : fmt::format("{:.1f} {}", v, units[u]);
}

std::string to_string(const Range& r) { return fmt::format("{:#x}-{:#x}", r.start, r.end); }

}  // namespace unpop
