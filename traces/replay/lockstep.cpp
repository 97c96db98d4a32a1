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

namespace {
// `ms` in groups of equal key(m), each in the members' order, the groups by their first member.
template <class Key>
std::vector<std::vector<Member>> group_in_order(std::vector<Member> ms, Key key) {
  std::vector<std::vector<Member>> groups;
  for (Member& m : ms) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return key(x.front()) == key(m); });
    if (g == groups.end()) groups.emplace_back().push_back(std::move(m));
    else g->push_back(std::move(m));
  }
  return groups;
}
}  // namespace

Candidate::Candidate(const Layout& layout, const Geometry& geo, Options o, std::vector<Member> m, Cursor& cursor,
                     const ContextRing& ring)
    : opt((o.variant = m.front().name, std::move(o))),
      cex(opt.build_cex),
      out(opt, cursor, ring, opt.build_cex ? &cex : nullptr),
      state(layout, geo, opt, cursor, out, cex) {
  stand_for(std::move(m));
}

Candidate::Candidate(const Candidate& o, std::vector<Member> m)
    : opt(o.opt), cex(o.cex), out(o.out), state(o.state), live(o.live) {
  opt.variant = m.front().name;
  out.rebind(opt, opt.build_cex ? &cex : nullptr);
  state.rebind(opt, out, cex);
  stand_for(std::move(m));
}

// The state reads the first member's traits; the DMA ones are shared only if every member has them.
void Candidate::stand_for(std::vector<Member> m) {
  members = std::move(m);
  const StateTraits::Dma& first = members.front().traits.dma;
  dma_shared = true;
  own_dma_pool = false;
  for (const Member& x : members) {
    dma_shared = dma_shared && x.traits.dma == first;
    own_dma_pool = own_dma_pool || x.traits.dma.own_pool();
  }
  state.set_dma_traits(first, dma_shared);
}

std::string Candidate::label() const {
  std::string s;
  for (const Member& m : members) s += (s.empty() ? "" : "+") + m.name;
  return s;
}

std::vector<std::unique_ptr<Candidate>> make_candidates(const Layout& layout, const Geometry& geo, const Options& opt,
                                                        const std::vector<std::string>& names, Cursor& cursor,
                                                        const ContextRing& ring) {
  std::vector<Member> all;
  for (std::size_t i = 0; i < names.size(); ++i)
    all.push_back(Member{i, names[i], StateTraits::of(variant_info(names[i]))});
  std::vector<std::vector<Member>> groups;
  if (opt.share_states) {
    groups = group_in_order(std::move(all), [](const Member& m) { return m.traits.common; });
  } else {
    for (Member& m : all) groups.push_back({std::move(m)});
  }
  std::vector<std::unique_ptr<Candidate>> out;
  for (auto& g : groups) out.push_back(std::make_unique<Candidate>(layout, geo, opt, std::move(g), cursor, ring));
  return out;
}

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

void FanOut::split_for_dma() {
  bool split = false;
  for (std::size_t i = 0, n = c_.size(); i < n; ++i) {
    Candidate& c = *c_[i];  // (c_ may move its pointers below, not the candidates)
    if (!c.live || c.dma_shared) continue;
    // Members by DMA traits, in order: the first kind stays in c, each other kind gets a copy.
    auto kinds = group_in_order(c.members, [](const Member& m) { return m.traits.dma; });
    for (std::size_t k = 1; k < kinds.size(); ++k) c_.push_back(std::make_unique<Candidate>(c, std::move(kinds[k])));
    c.stand_for(std::move(kinds[0]));
    split = true;
  }
  if (split)  // in the order of choice again
    std::stable_sort(c_.begin(), c_.end(),
                     [](const auto& a, const auto& b) { return a->members.front().rank < b->members.front().rank; });
}

// Every call goes to each live candidate with its own copy of the pages (a state may move them).
void FanOut::growth(const GrowthCall& g) {
  if (g.pool == kDmaPool) split_for_dma();
  for (auto& c : c_)
    if (c->live) c->state.growth(g);
}

// (the last live candidate takes the call itself: with one candidate nothing is copied)
void FanOut::alloc(AllocCall&& call) {
  if (call.path == Path::dma) split_for_dma();
  Candidate* last = last_live();
  for (auto& c : c_)
    if (c->live && c.get() != last) c->state.alloc(AllocCall(call));
  last->state.alloc(std::move(call));
}

void FanOut::free(FreeCall&& call) {
  if (call.path == Path::dma) split_for_dma();
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
      first.out.unchecked(
          fmt::format("variant {}: dropped, it derives another struct page base (give --vmemmap to "
                      "compare it)",
                      c->label()));
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
  return std::any_of(c_.begin(), c_.end(), [](const auto& c) { return c->live && c->own_dma_pool; });
}

}  // namespace unpop::replay
