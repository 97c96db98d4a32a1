#include "model/linux/sections.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "model/spec/alloc_spec.h"

namespace unpop {
namespace {

// A byte count in the largest unit that divides it: "124 MiB", "64 KiB", "512 bytes".
std::string amount(Addr b) {
  if (b % (Addr{1} << 20) == 0) return fmt::format("{} MiB", b >> 20);
  if (b % 1024 == 0) return fmt::format("{} KiB", b >> 10);
  return fmt::format("{} bytes", b);
}

}  // namespace

std::vector<RegionUse> region_usability(const Layout& l, const Geometry& g) {
  std::vector<RegionUse> out;
  const Addr sec = g.section_size();
  const Range plug = pluggable_range(l, g);
  for (const Range& r : l.ext_regions) {
    RegionUse u;
    u.region = r;
    auto in = r.intersect(plug);
    if (!in) {
      u.wasted_bytes = r.size();
      u.why = fmt::format("outside the pluggable range {}", to_string(plug));
      out.push_back(u);
      continue;
    }
    auto w = spec::section_window(spec::U64{}, in->start, in->end, sec);
    Addr s = w.start;
    Addr e = w.end;  // exclusive
    if (!w.usable) {
      u.wasted_bytes = r.size();
      u.why = r.size() < sec ? fmt::format("smaller than one {} MiB section", sec >> 20)
                             : fmt::format("no whole {} MiB-aligned section inside (next boundary {:#x})", sec >> 20, s);
      out.push_back(u);
      continue;
    }
    u.usable = Range{s, e - 1};
    u.sections = (e - s) / sec;
    u.wasted_bytes = r.size() - (e - s);
    u.why = fmt::format("{} whole section{}", u.sections, u.sections == 1 ? "" : "s");
    std::vector<std::string> lost;
    if (s > r.start) lost.push_back(fmt::format("{} before {:#x}", amount(s - r.start), s));
    if (r.end + 1 > e) lost.push_back(fmt::format("{} after {:#x}", amount(r.end + 1 - e), e - 1));
    if (!lost.empty())
      u.why += fmt::format("; {} {} unusable (not {} whole {} MiB-aligned section)", fmt::join(lost, " and "),
                           lost.size() == 1 ? "is" : "are", lost.size() == 1 ? "a" : "in", sec >> 20);
    out.push_back(u);
  }
  return out;
}

}  // namespace unpop
