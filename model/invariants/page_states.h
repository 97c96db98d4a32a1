#pragma once
/// What the checker knows of every page handed out: live (for which allocation, through which
/// path) or given back. One Boost.ICL interval_map from page runs to a small tag; touching runs
/// with the same tag join, so the map's size follows the number of runs of live allocations
/// (and of given-back stretches between them), never the number of pages.
///
/// Why one map and not a set per state: an allocation or a free touches one run with one
/// lookup and one `set()`, instead of cutting and merging three or four interval sets and an
/// owner map per run (the replay of a 1M-event trace spent most of its time there).
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
  freed,       // handed out earlier and given back (double-free vs unknown-free)
};

struct PageTag {
  std::uint32_t owner = 0;  // allocation id while live; 0 once freed
  PageState state = PageState::none;

  bool live() const { return state == PageState::live_plain || state == PageState::live_dma || state == PageState::live_ram; }
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
/// `iv` in a gap, `iv` exactly one segment, `iv` inside one segment — are done with hinted
/// inserts (no second search); anything else falls back to `set`. page_states_test.cpp checks
/// it against `set` on random histories.
inline void set_pages(PageStates& m, PageStates::iterator it, PageIv iv, PageTag tag) {
  namespace icl = boost::icl;
  const bool absorbed = tag == PageTag{};
  if (it == m.end() || icl::first(it->first) > icl::last(iv)) {  // a gap
    if (!absorbed) m.insert(it, {iv, tag});
    return;
  }
  if (!icl::contains(it->first, iv)) {
    m.set({iv, tag});
    return;
  }
  const PageIv seg = it->first;
  const PageTag old = it->second;
  if (old == tag) return;
  auto next = std::next(it);
  m.erase(it);
  if (icl::first(seg) < icl::first(iv)) m.insert(next, {PageIv(icl::first(seg), icl::first(iv) - 1), old});
  if (!absorbed) m.insert(next, {iv, tag});
  if (icl::last(iv) < icl::last(seg)) m.insert(next, {PageIv(icl::last(iv) + 1, icl::last(seg)), old});
}

}  // namespace unpop
