#include "traces/replay/struct_pages.h"

#include <fmt/format.h>

#include "model/layout/layout.h"  // LoadError

namespace unpop::replay {

StructPages::StructPages(std::optional<std::uint64_t> base, std::uint64_t size, bool lifo)
    : base_(base), size_(size), lifo_(lifo) {
  if (size_ == 0) throw LoadError{"--struct-page-size", 0, "expected a size > 0"};
}

void StructPages::grown(const Range& r, bool into_empty) {
  if (into_empty) empty_growth_ = r;
  else empty_growth_.reset();
}

Pfn StructPages::pfn(const Event& e, bool alloc, const Geometry& geo, Collector& out) {
  if (auto p = e.pfn()) return *p;
  auto page = e.page();
  if (!page) e.missing_page();
  if (!base_ && alloc && empty_growth_) {
    Pfn want = lifo_ ? geo.pfn(empty_growth_->end) : geo.pfn(empty_growth_->start);
    base_ = *page - want * size_;
    derived_ = true;
    out.warn("derived-vmemmap", e.where(),
             fmt::format("no --vmemmap: derived the struct page base {:#x} from the first page handed out after the "
                         "growth {} into an empty pool ({} pfn {:#x})",
                         *base_, to_string(*empty_growth_), lifo_ ? "LIFO: its last" : "its first", want));
  }
  if (!base_)
    e.fail(fmt::format("{}: page= needs --vmemmap BASE (the struct page array base; "
                       "--struct-page-size, default 64): it cannot be derived from the trace before this "
                       "event (no growth into an empty pool followed by a page handed out)",
                       e.rec->name));
  if (*page < *base_ || (*page - *base_) % size_ != 0)
    e.fail(fmt::format("{}: page={:#x} is not a struct page of the array at {:#x} (size {}){}", e.rec->name, *page,
                       *base_, size_, derived_ ? " derived from the trace" : ""));
  return (*page - *base_) / size_;
}

PageSeq StructPages::pages(const Event& e) const {
  PageSeq out;
  for (const auto& p : e.pages()) {
    if (!p.value || *p.value < *base_ || (*p.value - *base_) % size_ != 0)
      e.fail(fmt::format("{}: pages= entry '{}' is not a struct page of the array at {:#x}", e.rec->name, p.text,
                         *base_));
    out.push_back((*p.value - *base_) / size_);
  }
  return out;
}

}  // namespace unpop::replay
