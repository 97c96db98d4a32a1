#pragma once
/// Real RAM of the guest, for the paths that take it: the balloon fallback
/// (xen_alloc_ballooned_pages -> decrease_reservation) and the pre-RFC DMA path
/// (dma_alloc_coherent from CMA, then xenmem_reservation_decrease).
///
/// Simplification (docs/model.md): the whole of System RAM minus reserved memory stands for
/// both the buddy allocator and the CMA area; ballooned pages are taken from the top of RAM
/// one page at a time, CMA ranges first-fit from the bottom (cma_alloc's bitmap search).
#include <cstdint>
#include <optional>

#include <boost/icl/interval_set.hpp>

#include "model/core/geometry.h"
#include "model/core/page_seq.h"
#include "model/layout/layout.h"

namespace unpop {

class RamPool {
 public:
  RamPool() = default;
  RamPool(const Layout& l, const Geometry& g);
  /// n single pages from the top of RAM; nullopt (nothing taken) if fewer are free.
  std::optional<PageSeq> take_pages(std::uint64_t n);
  /// n contiguous pages, lowest fit; nullopt if no run is long enough.
  std::optional<PageSeq> take_contiguous(std::uint64_t n);
  void give_back(const PageSeq& pages);
  std::uint64_t taken() const { return taken_; }
  std::uint64_t free_pages() const;

 private:
  // interval_set (joining): adjacency of free RAM pages is exactly what contiguity needs.
  boost::icl::interval_set<Pfn> free_;
  std::uint64_t taken_ = 0;
};

}  // namespace unpop
