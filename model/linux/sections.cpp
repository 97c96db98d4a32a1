#include "model/linux/sections.h"

#include <fmt/format.h>

#include "model/spec/alloc_spec.h"

namespace unpop {

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
    u.why = u.wasted_bytes == 0
                ? fmt::format("{} whole sections", u.sections)
                : fmt::format("{} sections; {} MiB before {:#x} and {} MiB after {:#x} are unusable (not whole "
                              "{} MiB-aligned sections)",
                              u.sections, (s - r.start) >> 20, s, (r.end + 1 - e) >> 20, e - 1, sec >> 20);
    out.push_back(u);
  }
  return out;
}

}  // namespace unpop
