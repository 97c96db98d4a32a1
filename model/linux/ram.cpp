#include "model/linux/ram.h"

namespace unpop {

using PfnInterval = boost::icl::interval_set<Pfn>::interval_type;

RamPool::RamPool(const Layout& l, const Geometry& g) {
  for (const auto& r : l.ram) {
    Pfn lo = (r.range.start + g.page_size() - 1) >> g.page_shift;
    Pfn hi = g.pfn(r.range.end + 1);  // exclusive
    if (hi > lo) free_ += PfnInterval::right_open(lo, hi);
  }
  for (const auto& r : l.reserved) free_ -= PfnInterval::closed(g.pfn(r.range.start), g.pfn(r.range.end));
}

std::optional<PageSeq> RamPool::take_pages(std::uint64_t n) {
  if (free_pages() < n) return std::nullopt;
  PageSeq out;
  std::uint64_t left = n;
  while (left > 0) {
    auto it = std::prev(free_.end());
    Pfn hi = boost::icl::last(*it);
    Pfn lo = boost::icl::first(*it);
    std::uint64_t take = std::min<std::uint64_t>(left, hi - lo + 1);
    out.append(PageRun{hi, take, take == 1 ? 1 : -1});
    free_ -= PfnInterval::closed(hi - take + 1, hi);
    left -= take;
  }
  taken_ += n;
  return out;
}

std::optional<PageSeq> RamPool::take_contiguous(std::uint64_t n) {
  if (n == 0) return PageSeq{};
  for (const auto& iv : free_) {
    Pfn lo = boost::icl::first(iv);
    if (boost::icl::last(iv) - lo + 1 >= n) {
      free_ -= PfnInterval::right_open(lo, lo + n);
      taken_ += n;
      return PageSeq::ascending(lo, n);
    }
  }
  return std::nullopt;
}

void RamPool::give_back(const PageSeq& pages) {
  for (const auto& r : pages.runs()) free_ += PfnInterval::closed(r.lo(), r.hi());
  taken_ -= std::min(taken_, pages.size());
}

std::uint64_t RamPool::free_pages() const { return boost::icl::cardinality(free_); }

}  // namespace unpop
