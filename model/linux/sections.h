#pragma once
/// Which part of each extended region fill_list() can ever grow into at a given page size:
/// whole, section-aligned memory sections inside the region and the pluggable range.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/core/geometry.h"
#include "model/layout/layout.h"

namespace unpop {

struct RegionUse {
  Range region;
  std::optional<Range> usable;   // the section-aligned part (whole sections)
  std::uint64_t sections = 0;
  std::uint64_t wasted_bytes = 0;  // inside the region but never usable
  std::string why;               // in words
};

std::vector<RegionUse> region_usability(const Layout& l, const Geometry& g);

}  // namespace unpop
