#pragma once
/// The live pages the checker knows: for which allocation, through which path. One Boost.ICL
/// interval_map from page runs to a small tag; touching runs with the same tag (one
/// allocation's contiguous pages) join, so the map's size follows the number of runs of live
/// allocations, never the number of pages.
///
/// Why one map and not a set per state: an allocation or a free touches one run with one
/// search and an insert or erase next to it, instead of cutting and merging three or four
/// interval sets and an owner map per run (the replay of a 1M-event trace spent most of its
/// time there).
#include <cstdint>
#include <utility>

#include <boost/icl/closed_interval.hpp>
#include <boost/icl/interval_map.hpp>

#include "model/core/range.h"

namespace unpop {

enum class PageState : std::uint8_t {
  none = 0,    // never handed out (ICL absorbs this identity value: not stored)
  live_plain,  // handed out by the plain path
  live_dma,    // handed out by the DMA path
  live_ram,    // real RAM handed out (balloon / CMA): kept in its own map
};

struct PageTag {
  std::uint32_t owner = 0;  // allocation id
  PageState state = PageState::none;

  friend bool operator==(const PageTag&, const PageTag&) = default;
  friend bool operator<(const PageTag& a, const PageTag& b) {
    return a.state != b.state ? a.state < b.state : a.owner < b.owner;
  }
  // ICL combines values where added segments overlap; the checker only adds after erasing
  // (`set`), so combining is assignment.
  PageTag& operator+=(const PageTag& o) {
    *this = o;
    return *this;
  }
  PageTag& operator-=(const PageTag&) {
    *this = PageTag{};
    return *this;
  }
};

template <class CharT, class Traits>
std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os, const PageTag& t) {
  return os << static_cast<int>(t.state) << '#' << t.owner;
}

// Closed intervals with static bounds: a page run is [lo, hi], and comparing static bounds is
// cheaper than discrete_interval's run-time bound flags (this map is on the replay's hot path).
using PageStates =
    boost::icl::interval_map<Pfn, PageTag, boost::icl::partial_absorber, ICL_COMPARE_INSTANCE(ICL_COMPARE_DEFAULT, Pfn),
                             ICL_COMBINE_INSTANCE(boost::icl::inplace_plus, PageTag),
                             ICL_SECTION_INSTANCE(boost::icl::inter_section, PageTag), boost::icl::closed_interval<Pfn>>;
using PageIv = PageStates::interval_type;

/// The first segment of `m` that overlaps or follows `iv`: one tree search.
inline PageStates::iterator first_overlap(PageStates& m, PageIv iv) { return m.lower_bound(iv); }

/// `m.set({iv, tag})` when `it == first_overlap(m, iv)` is already known. The common shapes —
/// `iv` in a gap, `iv` exactly one segment, `iv` at an end of or inside one segment — change
/// the segment in place and insert with a hint (no second search, at most two new nodes);
/// anything else falls back to `set`. Keys are narrowed in place the way ICL's own algorithms
/// do it (interval_base_map.hpp): the narrowed key keeps its place in the order.
/// page_states_test.cpp checks it against `set` on random histories.
inline void set_pages(PageStates& m, PageStates::iterator it, PageIv iv, PageTag tag) {
  namespace icl = boost::icl;
  const bool absorbed = tag == PageTag{};
  if (it == m.end() || icl::first(it->first) > icl::last(iv)) {  // a gap
    if (!absorbed) m.insert(it, {iv, tag});
    return;
  }
  if (!icl::contains(it->first, iv) || absorbed) {
    m.set({iv, tag});
    return;
  }
  const PageIv seg = it->first;
  const PageTag old = it->second;
  if (old == tag) return;
  auto narrow = [&](Pfn lo, Pfn hi) { const_cast<PageIv&>(it->first) = PageIv(lo, hi); };
  if (seg == iv) {
    it->second = tag;
    icl::segmental::join_neighbours(m, it);
  } else if (icl::first(seg) == icl::first(iv)) {  // head: the segment keeps its tail
    narrow(icl::last(iv) + 1, icl::last(seg));
    m.insert(it, {iv, tag});
  } else {
    narrow(icl::first(seg), icl::first(iv) - 1);  // the segment keeps its head
    auto next = std::next(it);
    m.insert(next, {iv, tag});
    if (icl::last(iv) < icl::last(seg)) m.insert(next, {PageIv(icl::last(iv) + 1, icl::last(seg)), old});
  }
}

}  // namespace unpop
