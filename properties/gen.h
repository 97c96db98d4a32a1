#pragma once
/// RapidCheck generators for the property suites: guest layouts (the way Xen produces them,
/// the shipped presets, adversarial ones within what Xen can emit), page sizes, and
/// allocation sizes with a realistic mix. Every generator shrinks toward the simplest case:
/// the first preset, one region of 64 MiB, 4K pages, one page.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "model/layout/layout.h"

namespace unpop::props {

/// The world a generated case runs in.
struct Setup {
  std::string kind;    // "preset", "dom0", "dom0-iommu", "domu", "adversarial", "x86-pvh"
  std::string preset;  // non-empty for presets (the case then names the preset)
  Layout layout;
  std::uint64_t page_size = 4096;
};

/// Which layouts a run may draw.
struct SetupOptions {
  std::optional<std::uint64_t> page_size;  // force a page size (x86 layouts only with 4K)
  bool presets = true, realistic = true, adversarial = true;
  /// A given layout replaces all of the above: three cases in four run on it as it is, one on a
  /// neighbour (genNeighbour).
  std::optional<Layout> given;
  std::string given_preset;
};

rc::Gen<Setup> genSetup(const SetupOptions& o);

/// Inside a generator: an index drawn with the given weights; shrinks toward index 0.
std::size_t pick_weighted(const std::vector<std::uint32_t>& weights);

/// (RapidCheck's inRange scales its range with the test size; these choices must not, so
/// they run at the nominal size 100.)
/// Inside a generator: one of `v`, shrinking toward v[0] (rc::gen::element does not shrink).
template <typename T>
T choose(const std::vector<T>& v) {
  return v.at(*rc::gen::resize(100, rc::gen::inRange<std::size_t>(0, v.size())));
}
/// Inside a generator: a coin that shrinks toward false.
inline bool coin() { return *rc::gen::resize(100, rc::gen::inRange(0, 2)) == 1; }
/// Inside a generator: k in [lo, hi], uniform whatever RapidCheck's size (inRange scales with
/// it), shrinking toward lo.
std::uint64_t pick(std::uint64_t lo, std::uint64_t hi);

/// Parts, exposed for tests.
rc::Gen<Layout> genDom0Layout(bool iommu);
rc::Gen<Layout> genDomULayout();
rc::Gen<Layout> genAdversarialLayout();
rc::Gen<Layout> genX86Layout();
/// The given layout with its extended regions changed the way another boot of the same board
/// could give them: some dropped (one kept), some cut to a 2 MiB-aligned part of themselves.
/// Shrinks toward the layout unchanged.
rc::Gen<Layout> genNeighbour(const Layout& l);

/// Allocation sizes in pages for a page size: grant maps of 1-64 pages first (the common case,
/// and where shrinking goes), then framebuffers (Full HD 32 bpp, 4K UHD), then anything up to
/// 2^16 pages.
rc::Gen<std::uint64_t> genPages(std::uint64_t page_size);
std::uint64_t fullhd_pages(std::uint64_t page_size);  // 2025 at 4K
std::uint64_t uhd_pages(std::uint64_t page_size);     // 8100 at 4K

/// A runtime user of iomem_resource: a range inside (or next to) an extended region or a
/// free gap, 2 MiB aligned; `ram` makes it section-aligned whole sections (memory hot-plug).
rc::Gen<Range> genClaimRange(const Layout& l, std::uint64_t section_size, bool ram);

}  // namespace unpop::props
