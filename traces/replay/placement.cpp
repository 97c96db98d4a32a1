#include "traces/replay/placement.h"

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"

namespace unpop::replay {

Placement::Placement(const Layout& layout, const Geometry& geo)
    : geo_(geo), kernel_(layout, geo, Mutant::none, nullptr) {}

std::optional<Placement> Placement::make(const Layout& layout, const Geometry& geo, Target target) {
  if (target == Target::none) return std::nullopt;
  Placement p(layout, geo);
  const int ret = target == Target::xen_resource ? p.kernel_.arm_init() : p.kernel_.iomem_init();
  if (ret != 0 || !p.kernel_.has_target()) return std::nullopt;
  return p;
}

std::uint64_t Placement::round_up(std::uint64_t nr) const {
  return spec::fill_pages(spec::U64{}, nr, geo_.pages_per_section());
}

std::optional<Placement::Mismatch> Placement::grown(std::uint64_t nr_pages, const Range& range, int pool) {
  const std::uint64_t pages = range.size() / geo_.page_size();
  ++growths_;
  if (nr_pages > 0 && round_up(nr_pages) != pages)
    return Mismatch{"growth-size",
                    fmt::format("round_up({}, PAGES_PER_SECTION={}) = {} pages", nr_pages, geo_.pages_per_section(),
                                round_up(nr_pages)),
                    fmt::format("{} pages ({})", pages, to_string(range))};
  GrowSpec spec;
  spec.nr_pages = nr_pages ? nr_pages : pages;
  spec.alloc_pages = pages;
  spec.pool = pool;
  spec.name = pool == kDmaPool ? "Xen DMA pool" : "Xen scratch";
  const GrowResult g = kernel_.grow(spec);
  if (g.ret == 0 && g.range == range) return std::nullopt;
  return Mismatch{"growth-placement",
                  g.ret == 0 ? fmt::format("growth {}", to_string(g.range))
                             : fmt::format("no growth: allocate_resource of {} pages fails with {}", pages,
                                           err::name(g.ret)),
                  fmt::format("growth {}", to_string(range))};
}

std::optional<Placement::Mismatch> Placement::failed(std::uint64_t nr_pages, int ret, int pool) {
  ++growths_;
  // Only allocate_resource's own failure is the tree's to predict; -ENOMEM (kzalloc,
  // memremap_pages) depends on memory the model does not see.
  if (ret != -err::ebusy || nr_pages == 0) return std::nullopt;
  GrowSpec spec;
  spec.nr_pages = nr_pages;
  spec.alloc_pages = round_up(nr_pages);
  spec.pool = pool;
  const GrowResult g = kernel_.grow(spec);
  if (g.ret != 0) return std::nullopt;
  return Mismatch{"growth-placement", fmt::format("growth {} for {} pages", to_string(g.range), nr_pages),
                  fmt::format("no growth: {}", err::name(ret))};
}

}  // namespace unpop::replay
