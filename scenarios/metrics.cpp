#include "scenarios/metrics.h"

#include <algorithm>

namespace unpop::scen {
namespace {
constexpr unsigned k2M = 21, k1G = 30;
using Iv = boost::icl::interval_set<std::uint64_t>::interval_type;

// Aligned blocks of 2^bits bytes that lie wholly inside [r.start, r.end].
void add_blocks(boost::icl::interval_set<std::uint64_t>& s, const Range& r, unsigned bits) {
  std::uint64_t first = (r.start + (std::uint64_t{1} << bits) - 1) >> bits;
  std::uint64_t end = (r.end + 1) >> bits;  // exclusive (r.end + 1 does not overflow for RAM)
  if (end > first) s += Iv::right_open(first, end);
}
}  // namespace

Metrics::Metrics(const Layout& layout, const Geometry& geo) : geo_(geo) {
  for (const auto& r : layout.ram) {
    add_blocks(super2m_, r.range, k2M);
    add_blocks(super1g_, r.range, k1G);
  }
  c_.p2m_2m_blocks = boost::icl::cardinality(super2m_);
  c_.p2m_1g_blocks = boost::icl::cardinality(super1g_);
}

std::uint64_t Metrics::balloon_batches(std::uint64_t n) const {
  const std::uint64_t batch = geo_.page_size() / 8;  // ARRAY_SIZE(frame_list), sizeof(xen_pfn_t) = 8
  return (n + batch - 1) / batch;
}

void Metrics::ram_removed(const PageSeq& pages) {
  for (const auto& run : pages.runs()) {
    Addr lo = geo_.addr(run.lo()), hi = geo_.addr(run.hi()) + geo_.page_size() - 1;
    broken2m_ += super2m_ & Iv::closed(lo >> k2M, hi >> k2M);
    broken1g_ += super1g_ & Iv::closed(lo >> k1G, hi >> k1G);
  }
  c_.p2m_2m_broken = boost::icl::cardinality(broken2m_);
  c_.p2m_1g_broken = boost::icl::cardinality(broken1g_);
}

void Metrics::growth(int, std::uint64_t, std::optional<Range> range, int) {
  if (!range) {
    ++c_.growth_failures;
    return;
  }
  ++c_.growths;
  c_.pool_pages += range->size() / geo_.page_size();
}

void Metrics::seeded(int, const Range& r) { c_.pool_pages += r.size() / geo_.page_size(); }

void Metrics::allocated(const AllocEvent& e) {
  ++c_.allocs;
  if (e.ret != 0) {
    ++c_.alloc_failures;
    if (e.path == Path::dma) ++c_.dma_failures;
    return;
  }
  const std::uint64_t n = e.pages.size();
  if (e.source == Source::ram) {
    c_.ram_pages_now += n;
    c_.ram_pages_total += n;
    c_.ram_pages_peak = std::max(c_.ram_pages_peak, c_.ram_pages_now);
    ++c_.ram_allocs;
    if (e.path == Path::dma) {
      c_.cma_pages_now += n;
      c_.cma_pages_peak = std::max(c_.cma_pages_peak, c_.cma_pages_now);
      ++c_.hc_decrease;  // xenmem_reservation_decrease(nr, frames): one call
    } else {
      c_.hc_decrease += balloon_batches(n);  // decrease_reservation() per frame_list batch
    }
    ram_removed(e.pages);
  } else {
    c_.pool_live_now += n;
    c_.pool_live_peak = std::max(c_.pool_live_peak, c_.pool_live_now);
  }
}

void Metrics::freed(const FreeEvent& e) {
  const std::uint64_t n = e.pages.size();
  if (e.source == Source::ram) {
    c_.ram_pages_now -= std::min(c_.ram_pages_now, n);
    if (e.path == Path::dma) {
      c_.cma_pages_now -= std::min(c_.cma_pages_now, n);
      ++c_.hc_increase;  // xenmem_reservation_increase(nr, frames): one call
    } else {
      c_.hc_increase += balloon_batches(n);  // the balloon worker repopulates per batch
    }
  } else {
    c_.pool_live_now -= std::min(c_.pool_live_now, n);
  }
}

}  // namespace unpop::scen
