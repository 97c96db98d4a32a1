#include "traces/replay/lockstep.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/variants/registry.h"

namespace unpop::replay {

std::vector<std::string> auto_candidates(const Layout& layout) {
  std::vector<std::string> out;
  for (const auto& name : variant_names()) {
    const VariantInfo& v = variant_info(name);
    if (v.auto_candidate && (!v.native_arch || *v.native_arch == layout.arch)) out.push_back(name);
  }
  return out;
}

Candidate::Candidate(const Layout& layout, const Geometry& geo, Options o, Cursor& cursor, const ContextRing& ring)
    : opt(std::move(o)),
      cex(opt.build_cex),
      out(opt, cursor, ring, opt.build_cex ? &cex : nullptr),
      state(layout, geo, opt, cursor, out, cex) {}

std::size_t FanOut::live() const {
  return static_cast<std::size_t>(std::count_if(c_.begin(), c_.end(), [](const auto& c) { return c->live; }));
}

Candidate* FanOut::last_live() const {
  for (auto it = c_.rbegin(); it != c_.rend(); ++it)
    if ((*it)->live) return it->get();
  return c_.back().get();
}

Candidate& FanOut::first_live() const {
  for (auto& c : c_)
    if (c->live) return *c;
  return *c_.front();
}

// Later candidates go first, so that among those diverging at the same event the first in
// the order of choice stays.
void FanOut::prune() {
  for (auto it = c_.rbegin(); it != c_.rend(); ++it)
    if ((*it)->live && (*it)->out.diverged() && live() > 1) (*it)->live = false;
}

// Every call goes to each live candidate with its own copy of the pages (a state may move them).
void FanOut::growth(const GrowthCall& g) {
  for (auto& c : c_)
    if (c->live) c->state.growth(g);
}

// (the last live candidate takes the call itself: with one candidate nothing is copied)
void FanOut::alloc(AllocCall&& call) {
  Candidate* last = last_live();
  for (auto& c : c_)
    if (c->live && c.get() != last) c->state.alloc(AllocCall(call));
  last->state.alloc(std::move(call));
}

void FanOut::free(FreeCall&& call) {
  Candidate* last = last_live();
  for (auto& c : c_)
    if (c->live && c.get() != last) c->state.free(FreeCall(call));
  last->state.free(std::move(call));
}

void FanOut::collect() {
  for (auto& c : c_)
    if (c->live) c->state.collect();
}

void FanOut::hold(Finding f) {
  for (auto& c : c_)
    if (c->live) c->state.hold(f);
}

void FanOut::warn(std::string kind, const Where& at, std::string message) {
  for (auto& c : c_)
    if (c->live) c->state.warn(kind, at, message);
}

void FanOut::unchecked(std::string note) {
  for (auto& c : c_)
    if (c->live) c->state.unchecked(note);
}

// The trace's pfn of a page event. Each candidate converts (a derived struct page base is its
// own: the LIFO and genpool variants derive it from different pages); the first live
// candidate's answer is attribution's, and a candidate that reads another pfn cannot follow
// this trace's pages: it drops out with a warning, not a divergence (the kernel did nothing).
Pfn FanOut::page_pfn(const Event& e, bool alloc) {
  Candidate& first = first_live();
  const Pfn pfn = first.state.page_pfn(e, alloc);
  for (auto& c : c_)
    if (c->live && c.get() != &first && c->state.page_pfn(e, alloc) != pfn) {
      c->live = false;
      first.out.unchecked(fmt::format("variant {}: dropped, it derives another struct page base (give --vmemmap to "
                                      "compare it)",
                                      c->opt.variant));
    }
  return pfn;
}

bool FanOut::struct_page_base_known() const { return first_live().state.struct_page_base_known(); }

PageSeq FanOut::pages_array(const Event& e) { return first_live().state.pages_array(e); }

void FanOut::pool_extent_unknown() {
  for (auto& c : c_)
    if (c->live) c->state.pool_extent_unknown();
}

// A DMA pool of its own in any candidate: growths wait for their task's next summary (for the
// others that only files the growth a little later, at its own event).
bool FanOut::pool_from_next_summary() const {
  return std::any_of(c_.begin(), c_.end(), [](const auto& c) { return c->live && c->state.pool_from_next_summary(); });
}

}  // namespace unpop::replay
