#pragma once
/// Model-driven state (docs/replay.md, "Stages"): `page=` struct page pointers -> pfns.
///
/// pfn = (page - base) / size. The base is --vmemmap, or derived from the trace: the first page
/// handed out after a growth into an empty pool is that growth's last pfn for a LIFO list, its
/// first for the others. The derivation needs the pool's state and the variant's order, so it
/// belongs to the state of one variant, not to decoding.
#include <cstdint>
#include <optional>

#include "model/core/geometry.h"
#include "model/core/page_seq.h"
#include "traces/replay/collector.h"
#include "traces/replay/decode.h"

namespace unpop::replay {

class StructPages {
 public:
  /// Throws LoadError for a struct page size of 0.
  StructPages(std::optional<std::uint64_t> base, std::uint64_t size, bool lifo);

  bool known() const { return base_.has_value(); }
  std::optional<std::uint64_t> base() const { return base_; }
  /// A successful growth `r`: into an empty pool it opens the window for deriving the base.
  void grown(const Range& r, bool into_empty);
  /// A page handed out: the window is closed.
  void handed_out() { empty_growth_.reset(); }

  /// A page event's pfn (`pfn=`, or `page=` through the base, derived here if it can be; the
  /// derivation is a warning). Throws the contract's InputError when it cannot be converted.
  Pfn pfn(const Event& e, bool alloc, const Geometry& geo, Collector& out);
  /// A free probe's `pages={...}` array (requires known()). Throws InputError at the first entry
  /// that is not a struct page of the array.
  PageSeq pages(const Event& e) const;

 private:
  std::optional<std::uint64_t> base_;
  bool derived_ = false;
  std::uint64_t size_;
  bool lifo_;
  std::optional<Range> empty_growth_;  // last growth into an empty pool, no page handed out since
};

}  // namespace unpop::replay
