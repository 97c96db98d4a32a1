#include "traces/replay/state.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/case/runner.h"  // checker_options
#include "model/core/errno.h"

namespace unpop::replay {

namespace icl = boost::icl;

ModelState::ModelState(Layout layout, const Geometry& geo, const Options& opt, Cursor& cursor, Collector& out,
                       Counterexample& cex)
    : layout_(std::move(layout)),
      geo_(geo),
      opt_(&opt),
      traits_(StateTraits::of(variant_info(opt.variant))),
      lifo_(traits_.common.pool == PoolKind::lifo_list),
      cur_(cursor),
      out_(&out),
      cex_(&cex),
      struct_pages_(opt.vmemmap, opt.struct_page_size, lifo_),
      anon_(cursor, out) {}

ModelState::~ModelState() = default;

void ModelState::collect() {
  out_->collect(checker_ ? &*checker_ : nullptr, Doubts{order_unknown_, pool_unknown_, anon_.uncertain() > 0});
}

void ModelState::warn(std::string kind, const Where& at, std::string message) {
  out_->warn(std::move(kind), at, std::move(message));
}

bool ModelState::pool_from_next_summary() const { return dma().own_pool(); }

StateTraits StateTraits::of(const VariantInfo& v) {
  StateTraits t;
  t.common.pool = v.traits.pool;
  t.common.target = v.traits.target;
  t.common.growth_from_tree = v.traits.growth_from_tree;
  t.common.dma_shares_pool = dma_shares_pool(v);
  t.common.checker = checker_options(v.name);
  t.dma.source = v.traits.dma;
  t.dma.cma_fallback = v.traits.cma_fallback;
  return t;
}

void ModelState::rebind(const Options& opt, Collector& out, Counterexample& cex) {
  opt_ = &opt;
  out_ = &out;
  cex_ = &cex;
  anon_.rebind(out);
}

void ModelState::set_dma_traits(const StateTraits::Dma& dma, bool shared) {
  traits_.dma = dma;
  dma_shared_ = shared;
}

const StateTraits::Dma& ModelState::dma() const {
  // lockstep.h splits a candidate whose variants differ here before any call of the DMA path or
  // pool reaches it: a read on another call is a bug of the lockstep, not of the trace.
  if (!dma_shared_)
    throw std::logic_error("replay: a DMA trait read on a call the lockstep did not split the candidate for");
  return traits_.dma;
}

// ---------------------------------------------------------------------------------------------
// The checker, regions and init

void ModelState::ensure_checker() {
  if (checker_) return;
  std::sort(trace_regions_.begin(), trace_regions_.end());
  std::sort(trace_holes_.begin(), trace_holes_.end());
  const Where at = cur_.where();
  if (!trace_regions_.empty()) compare_regions(at);
  Checker::Options o = traits_.common.checker;
  o.liveness = opt_->liveness;
  checker_.emplace(layout_, geo_, o);
  checker_->set_step(cur_.rec ? cur_.rec->line : 0);
  for (auto& f : checker_->layout_findings()) out_->hold(std::move(f));
  if (uses_iomem_target(traits_.common.target, layout_)) {
    for (const auto& x : layout_.extra_mem) {
      checker_->seeded(kMainPool, x.range);
      main_pool_pages_ += geo_.pfn(x.range.end) - geo_.pfn(x.range.start) + 1;
    }
  }
  if (!saw_init_) infer_target(at);
}

// The trace's extended regions fill a layout without any (an iomem dump); otherwise both sets
// must agree.
void ModelState::compare_regions(const Where& at) {
  if (layout_.ext_regions.empty()) {
    layout_.ext_regions = trace_regions_;
    layout_.hypervisor_node = true;
    out_->warn("regions-from-trace", at,
               fmt::format("the layout has no extended regions: using the {} xen_unpop_region kind=ext events",
                           trace_regions_.size()));
    return;
  }
  std::vector<Range> dt = layout_.ext_regions;
  std::sort(dt.begin(), dt.end());
  auto mismatch = [&](const Range& r, std::string message, const char* name) {
    Finding f;
    f.rule = "region-mismatch";
    f.message = std::move(message);
    f.ranges = {{r, name}};
    out_->hold(std::move(f));
  };
  for (const auto& r : trace_regions_)
    if (!std::binary_search(dt.begin(), dt.end(), r))
      mismatch(r,
               fmt::format("extended region {} of the trace is not one of the layout's ({})", to_string(r),
                           layout_.source),
               "trace region");
  for (const auto& r : dt)
    if (!std::binary_search(trace_regions_.begin(), trace_regions_.end(), r))
      mismatch(r,
               fmt::format("extended region {} of the layout ({}) is missing from the trace's regions", to_string(r),
                           layout_.source),
               "layout region");
}

void ModelState::infer_target(const Where& at) {
  Target t = !layout_.ext_regions.empty() && traits_.common.target != GrowthTarget::iomem ? Target::xen_resource
                                                                                          : Target::iomem;
  std::vector<Range> regs = layout_.ext_regions, gaps;
  std::sort(regs.begin(), regs.end());
  for (std::size_t i = 1; i < regs.size(); ++i)
    if (regs[i - 1].end + 1 < regs[i].start) gaps.push_back({regs[i - 1].end + 1, regs[i].start - 1});
  checker_->target_built(t, std::nullopt, gaps, 0);
  start_placement(t);
  out_->warn("inferred-target", at,
             fmt::format("no xen_unpop_init event before the first allocator event: target {} inferred from the "
                         "layout ({})",
                         to_string(t), t == Target::xen_resource ? "it has extended regions" : "no extended regions"));
  out_->unchecked("region-mismatch: no xen_unpop_init/xen_unpop_region events, the regions Linux built are unknown");
}

void ModelState::region(const Event& e) {
  const RegionFields f = e.region();
  if (checker_) {
    out_->warn("late-region", e.where(), "xen_unpop_region after the allocator's first event: ignored");
    return;
  }
  (f.ext ? trace_regions_ : trace_holes_).push_back(f.range);
}

void ModelState::init(const Event& e) {
  const InitFields f = e.init();
  const bool first = !checker_;
  saw_init_ = true;
  ensure_checker();
  if (!first) out_->warn("late-init", e.where(), "xen_unpop_init after allocator events");
  std::optional<Range> span;
  if (f.ret == 0 && f.target != Target::none) span = Range{f.start, f.end};
  // Holes are only meaningful when Linux built xen_resource from regions.
  checker_->target_built(f.target, f.target == Target::xen_resource ? span : std::nullopt, trace_holes_,
                         static_cast<int>(f.ret));
  if (f.ret == 0) start_placement(f.target);
  if (f.target == Target::xen_resource && trace_regions_.empty() && layout_.ext_regions.empty())
    out_->unchecked("outside-ext-region: target xen_resource but neither the layout nor the trace gives the regions");
}

// ---------------------------------------------------------------------------------------------
// Growths and pages

// The variant's growths follow from the resource tree (registry: growth_from_tree): the
// model's kernel, built from the same layout and target, predicts each one.
void ModelState::start_placement(Target t) {
  placement_.reset();
  if (!traits_.common.growth_from_tree) {
    out_->unchecked("growth placement: the variant chooses its growth windows from its own state");
    return;
  }
  if (auto p = Placement::make(layout_, geo_, t)) placement_.emplace(*p);
  if (!placement_)
    out_->unchecked(fmt::format("growth placement: the model cannot build {} from this layout", to_string(t)));
}

void ModelState::check_placement(const GrowthCall& g) {
  if (!placement_) return;
  if (g.ret == 0 && !g.range) {  // a growth of unknown range: the model's tree cannot follow
    placement_.reset();
    out_->unchecked("growth placement: a growth of unknown range");
    return;
  }
  const bool first = placement_->growths() == 0;
  auto m = g.range ? placement_->grown(g.nr, *g.range, g.pool) : placement_->failed(g.nr, g.ret, g.pool);
  if (!m) return;
  placement_.reset();  // the trees differ from here: no further prediction
  Finding where;
  if (g.range) where.ranges = {{*g.range, "growth"}};
  std::string message = fmt::format("{}: model {}; kernel {}", m->kind, m->model, m->kernel);
  if (first)
    message += " -- this is the trace's first growth: check the layout (--dtb/--iomem/--preset) before "
               "suspecting the kernel";
  out_->diverge(m->kind, m->model, m->kernel, std::move(message), where);
}

// Where the variant gets DMA pages from. Upstream's grant-table DMA path is CMA RAM
// (dma_alloc_coherent): a DMA page that is not RAM of the layout cannot come from it.
void ModelState::check_dma_source(const PageSeq& pages) {
  if (dma().source != DmaSource::cma_ram || out_->diverged()) return;
  AddrSet ram;
  for (const auto& r : layout_.ram) ram += AddrSet::interval_type::closed(r.range.start, r.range.end);
  for (const auto& x : layout_.extra_mem) ram += AddrSet::interval_type::closed(x.range.start, x.range.end);
  for (const auto& run : pages.runs()) {
    const Addr lo = geo_.addr(run.lo()), hi = geo_.addr(run.hi()) + geo_.page_size() - 1;
    if (icl::contains(ram, AddrSet::interval_type::closed(lo, hi))) continue;
    Finding where;
    where.pfns = {run.lo()};
    out_->diverge("dma-source", "DMA pages from CMA RAM (dma_alloc_coherent)",
                  fmt::format("DMA pages {} outside RAM", pages.describe()),
                  fmt::format("dma-source: the variant takes DMA pages from CMA RAM; the kernel handed out {}, not RAM "
                              "of the layout (a DMA pool of unpopulated pages?)",
                              pages.describe()),
                  where);
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// genalloc's page choice: a reference GenPool (model/linux/genpool: newest chunk first, best
// fit) fed the trace's growths, allocations and frees; an allocation of other pages than it
// gives is a page-choice divergence. Checked on calls no other task's list pages overlapped
// (their summaries may come out of lock order); the first overlap stops it, said in unchecked.

int ModelState::genpool_of(Path path) const {
  if (traits_.common.pool == PoolKind::genpool) return kMainPool;  // every allocation (V1)
  if (path == Path::dma && dma().own_pool()) return kDmaPool;      // the RFC's DMA pool
  return -1;
}

void ModelState::genpool_grown(int pool, const Range& r) {
  const bool serves = pool == kMainPool ? traits_.common.pool == PoolKind::genpool : dma().own_pool();
  if (!serves) return;
  auto& g = genpool_[pool == kDmaPool ? 1 : 0];
  if (!g && !genpool_off_) g.emplace();
  if (g) g->add_chunk(geo_.pfn(r.start), r.size() / geo_.page_size());
}

void ModelState::genpool_alloc(const AllocCall& c) {
  const int pool = genpool_of(c.path);
  if (pool < 0) return;
  auto& g = genpool_[pool == kDmaPool ? 1 : 0];
  if (!g || c.ret != 0) return;
  if (c.applied > 0 || c.pages.empty()) {  // overlapping calls, or pages without page events
    g.reset();
    genpool_off_ = true;
    out_->unchecked(c.pages.empty() ? "genalloc page choice: pages handed out without page events from here"
                                    : "genalloc page choice: calls of several tasks overlap from here");
    return;
  }
  if (c.path == Path::dma && dma_source(c.pages) == Source::ram) return;  // V1's CMA fallback
  const auto first = g->alloc(c.pages.size());
  if (first && c.pages == PageSeq::ascending(*first, c.pages.size())) return;
  Finding where;
  where.pfns = {c.pages.front()};
  const std::string model = first ? fmt::format("pfns {:#x}..{:#x}", *first, *first + c.pages.size() - 1)
                                  : std::string("no room (gen_pool_alloc fails)");
  out_->diverge("page-choice", "gen_pool_alloc (newest chunk first, best fit) gives " + model,
                "handed out " + c.pages.describe(),
                fmt::format("page-choice: {} allocation of {} pages is {}; genalloc would give {}", to_string(c.path),
                            c.pages.size(), c.pages.describe(), model),
                where);
  g.reset();
  genpool_off_ = true;
}

void ModelState::genpool_freed(Path path, const PageSeq& pages) {
  const int pool = genpool_of(path);
  if (pool < 0) return;
  auto& g = genpool_[pool == kDmaPool ? 1 : 0];
  if (!g) return;
  for (const auto& run : pages.runs()) g->free(run.lo(), run.count);
}

void ModelState::growth(const GrowthCall& g) {
  if (g.pool == kDmaPool && dma().source == DmaSource::cma_ram && !out_->diverged() && g.ret == 0) {
    Finding where;
    if (g.range) where.ranges = {{*g.range, "growth"}};
    out_->diverge("growth-pool", "no DMA pool (DMA pages from CMA RAM)",
                  "a growth of a DMA pool" + (g.range ? " " + to_string(*g.range) : std::string()),
                  "growth-pool: the variant has no DMA pool of unpopulated pages; the kernel grew one", where);
  }
  check_placement(g);
  if (g.ret == 0 && g.range) genpool_grown(g.pool, *g.range);
  const std::uint64_t free_before = checker_->pool_pages() - std::min(checker_->pool_pages(), checker_->live_pages());
  const bool empty_before = free_before == 0 && anon_.live() == 0;
  checker_->growth(g.pool, g.nr, g.range, g.ret);
  if (g.ret == 0 && g.range) {
    if (g.pool == kMainPool) main_pool_pages_ += geo_.pfn(g.range->end) - geo_.pfn(g.range->start) + 1;
    cur_.span(geo_.pfn(g.range->start), geo_.pfn(g.range->end));
    struct_pages_.grown(*g.range, empty_before);
  }
  if (g.list_count && g.pool == kMainPool) check_list_count(*g.list_count);
}

Pfn ModelState::page_pfn(const Event& e, bool alloc) {
  const Pfn pfn = struct_pages_.pfn(e, alloc, geo_, *out_);
  if (alloc) struct_pages_.handed_out();
  return pfn;
}

Source ModelState::dma_source(const PageSeq& pages) const {
  if (dma().source == DmaSource::cma_ram) return Source::ram;  // CMA (dma_alloc_coherent)
  if (dma().cma_fallback && !pages.empty()) {
    // The pool falls back to dma_alloc_coherent(): pages outside the pool are RAM.
    for (const auto& run : pages.runs())
      if (!icl::contains(checker_->pool(), PfnSet::interval_type::closed(run.lo(), run.hi()))) return Source::ram;
  }
  return Source::pool;
}

void ModelState::check_list_count(std::uint64_t list_count) {
  if (pool_unknown_ || anon_.uncertain() > 0) {
    out_->unchecked(
        "list_count: the pool or the live pages are not exactly known (growth of unknown range or pages "
        "given back without page events)");
    return;
  }
  // Anonymous pages are off the list but unknown to the checker: the list had them too.
  const bool one_pool = traits_.common.dma_shares_pool;
  std::uint64_t anon = anon_.live(0) + (one_pool ? anon_.live(1) : 0);
  CountReport c;
  c.pool = kMainPool;
  c.counter = list_count + anon;
  c.actual = c.counter;
  c.pool_pages = main_pool_pages_;
  checker_->counts(c);
}

// ---------------------------------------------------------------------------------------------
// Allocations and frees

void ModelState::alloc(AllocCall&& c) {
  const int p = c.path == Path::dma ? 1 : 0;
  cur_.touch(c.pages);
  if (c.path == Path::dma && c.ret == 0 && !c.pages.empty()) check_dma_source(c.pages);
  if (!c.part) genpool_alloc(c);
  if (c.part) {  // pages taken off the list at their page events; the summary follows
    hand_out(c.path, c.owner, c.pages);
    return;
  }
  if (c.ret == 0 && c.pages.empty() && c.nr > 0) {  // no page events: anonymous pages
    anon_change(p, static_cast<std::int64_t>(c.nr));
    if (c.list_count) check_list_count(*c.list_count);
    cex_->alloc(c.path, c.nr, c.owner, c.pages, true);
    return;
  }
  if (c.ret != 0) {
    alloc_failed(c, c.pages, c.applied);
  } else if (c.applied == 0) {
    reconcile_uncertain(c.pages);
    AllocEvent e;
    e.path = c.path;
    e.owner = std::string(c.owner);
    e.nr_pages = c.nr;
    e.ret = 0;
    e.source = c.path == Path::dma ? dma_source(c.pages) : Source::pool;
    e.pages = std::move(c.pages);
    checker_->allocated(e);
    cex_->alloc(c.path, c.nr, c.owner, e.pages, true);
  } else {
    // Parts went to the checker at their page events: hand out the rest, then the summary's
    // count against all of the call's pages.
    if (c.applied < c.pages.size()) hand_out(c.path, c.owner, c.pages.slice(c.applied, c.pages.size() - c.applied));
    if (c.nr != c.pages.size()) count_mismatch(fmt::format("allocation returned 0 with {} pages for nr_pages={}",
                                                           c.pages.size(), c.nr), c.nr, c.pages.size());
    cex_->alloc(c.path, c.nr, c.owner, c.pages, true);
  }
  if (c.list_count) check_list_count(*c.list_count);
}

// Pages handed out as they were taken off the list (a part of a call, or its rest).
void ModelState::hand_out(Path path, std::string_view owner, const PageSeq& pages) {
  reconcile_uncertain(pages);
  AllocEvent e;
  e.path = path;
  e.owner = std::string(owner);
  e.nr_pages = pages.size();
  e.source = path == Path::dma ? dma_source(pages) : Source::pool;
  e.pages = pages;
  checker_->allocated(e);
}

// Pages given back as they went back on the list (a part of a call, or its rest).
void ModelState::give_back(Path path, std::string_view owner, const PageSeq& pages) {
  genpool_freed(path, pages);
  FreeEvent e;
  e.path = path;
  e.owner = std::string(owner);
  e.nr_pages = pages.size();
  e.source = path == Path::dma ? dma_source(pages) : Source::pool;
  e.pages = pages;
  checker_->freed(e);
}

void ModelState::count_mismatch(std::string message, std::uint64_t nr, std::uint64_t pages) {
  Finding f;
  f.rule = "count-mismatch";
  f.message = std::move(message);
  f.counts = {{"nr_pages", static_cast<std::int64_t>(nr)}, {"pages", static_cast<std::int64_t>(pages)}};
  out_->hold(std::move(f));
}

// return-code: a list pool's xen_alloc_unpopulated_pages() fails only when list_count <
// nr_pages and fill_list() fails (or, PV only, xen_alloc_p2m_entry after page events, which the
// model does not have). A failure, without page events, while the free list held the request
// is a return the variant cannot give.
void ModelState::check_return_code(const AllocCall& c, const PageSeq& pages) {
  if (traits_.common.pool != PoolKind::lifo_list || c.path != Path::plain || !pages.empty() || c.nr == 0 ||
      out_->diverged())
    return;
  const std::uint64_t pool_free = checker_->free_in_pool(kMainPool);
  const std::uint64_t free = pool_free > anon_.live() ? pool_free - anon_.live() : 0;  // anonymous pages are live
  if (free < c.nr) return;
  Finding where;
  out_->diverge("return-code",
                fmt::format("0: list_count {} >= nr_pages {}, so no fill_list and no failure", free, c.nr),
                fmt::format("returned {}", err::name(c.ret)),
                fmt::format("return-code: {} allocation of {} pages returned {} while the free list held {} pages; "
                            "its xen_alloc_unpopulated_pages() fails only when list_count < nr_pages and "
                            "fill_list() fails",
                            to_string(c.path), c.nr, err::name(c.ret), free),
                where);
}

// A failed allocation. Page events before it were rolled back by the kernel (upstream's PVMMU
// path puts pages[0..i] back in order): checked as handed out, then given back. The failure
// itself is checked for spurious-enomem, where anonymous live pages count as used.
void ModelState::alloc_failed(const AllocCall& c, const PageSeq& pages, std::uint64_t applied) {
  check_return_code(c, pages);
  AllocEvent e;
  e.path = c.path;
  e.owner = std::string(c.owner);
  e.nr_pages = c.nr;
  e.ret = c.ret;
  if (!pages.empty()) {
    out_->warn("assumed-rollback", cur_.where(),
               fmt::format("{} allocation returned {} after {} page events ({}): assumed rolled back by the kernel "
                           "(pages checked as handed out, then put back)",
                           to_string(c.path), err::name(c.ret), pages.size(), pages.describe()));
    if (applied < pages.size()) hand_out(c.path, c.owner, pages.slice(applied, pages.size() - applied));
    collect();
    give_back(c.path, c.owner, pages);
  }
  collect();
  e.source = c.path == Path::dma && dma().source == DmaSource::cma_ram ? Source::ram : Source::pool;
  checker_->allocated(e);
  for (auto& f : checker_->take()) {
    // Anonymous live pages look free to the checker: a failure is spurious only if the space
    // also covers them.
    if (f.rule == "spurious-enomem" && anon_.live() > 0 &&
        !checker_->could_serve(c.nr + anon_.live(), c.path == Path::dma, ~Addr{0}))
      continue;
    out_->hold(std::move(f));
  }
  cex_->alloc(c.path, c.nr, c.owner, PageSeq{}, false);
}

void ModelState::free(FreeCall&& c) {
  if (c.part) {  // pages back on the list at their page events; the summary follows
    cur_.touch(c.pages);
    give_back(c.path, c.owner, c.pages);
    return;
  }
  if (c.pages.empty() && c.nr > 0) {
    free_anonymous(c);
    return;
  }
  cur_.touch(c.pages);
  if (c.applied == 0) {
    FreeEvent e;
    e.path = c.path;
    e.owner = std::string(c.owner);
    e.nr_pages = c.nr;
    // (A CMA fallback picks the free path by is_xen_unpopulated_page(): RAM pages the checker took as RAM.)
    e.source = c.path == Path::dma ? dma_source(c.pages) : Source::pool;
    e.pages = c.pages;
    checker_->freed(e);
    genpool_freed(c.path, c.pages);
  } else {
    if (c.applied < c.pages.size()) give_back(c.path, c.owner, c.pages.slice(c.applied, c.pages.size() - c.applied));
    if (c.nr != c.pages.size())
      count_mismatch(fmt::format("free of nr_pages={} gave back {} pages", c.nr, c.pages.size()), c.nr, c.pages.size());
  }
  cex_->free(c.path, c.nr, c.pages);
  if (c.list_count) check_list_count(*c.list_count);
}

// A free without page events: anonymous pages of its path first; beyond them known pages,
// which ones unknown (uncertain), or more than are live at all (count-mismatch).
void ModelState::free_anonymous(const FreeCall& c) {
  const int p = c.path == Path::dma ? 1 : 0;
  if (c.nr <= anon_.live(p)) {
    anon_change(p, -static_cast<std::int64_t>(c.nr));
  } else {
    const std::uint64_t excess = c.nr - anon_.live(p);
    if (anon_.live(p)) anon_change(p, -static_cast<std::int64_t>(anon_.live(p)));
    const std::uint64_t known = checker_->live_pages() - std::min(checker_->live_pages(), anon_.uncertain());
    const std::uint64_t live = known + anon_.live(1 - p) + (c.nr - excess);
    if (excess > known + anon_.live(1 - p)) {
      Finding f;
      f.rule = "count-mismatch";
      f.message =
          fmt::format("{} free of {} pages without page events, but only {} pages are live", to_string(c.path), c.nr, live);
      f.counts = {{"nr_pages", static_cast<std::int64_t>(c.nr)}, {"live", static_cast<std::int64_t>(live)}};
      out_->hold(std::move(f));
    } else {
      anon_.add_uncertain(excess);
      if (!order_unknown_ && lifo_) anon_change(p, 0);
      const Where at = cur_.where();
      out_->unchecked(fmt::format(
          "{}:{}: {} known pages given back without page events: which ones is unknown; a later hand-out of a page "
          "still live to the checker is taken as one of them, and leak/list_count are not checked from here",
          at.file, at.line, excess));
    }
  }
  if (c.list_count) check_list_count(*c.list_count);
  cex_->free(c.path, c.nr, c.pages);
}

// ---------------------------------------------------------------------------------------------
// Pages without page events

void ModelState::anon_change(int path, std::int64_t delta) {
  anon_.change(path, delta);
  if (!order_unknown_ && lifo_) {
    order_unknown_ = true;
    const Where at = cur_.where();
    out_->unchecked(
        fmt::format("order-mismatch after {}:{}: pages handed out or given back without page events "
                    "make the LIFO order unknown",
                    at.file, at.line));
  }
}

// A page handed out that the checker still has live must be one of the uncertain pages (given
// back without page events): release it quietly before the hand-out is checked.
void ModelState::reconcile_uncertain(const PageSeq& pages) {
  if (anon_.uncertain() == 0) return;
  PfnSet mine;
  for (const auto& run : pages.runs()) mine += PfnSet::interval_type::closed(run.lo(), run.hi());
  PfnSet stale = mine & checker_->live();
  if (stale.empty()) return;
  collect();
  const std::uint64_t uncertain = anon_.uncertain();
  PageSeq back;
  for (const auto& iv : stale) {
    std::uint64_t n = std::min<std::uint64_t>(icl::length(iv), uncertain - std::min(uncertain, back.size()));
    if (n) back.append(PageRun{icl::first(iv), n, 1});
  }
  FreeEvent e;
  e.nr_pages = back.size();
  e.pages = back;
  checker_->freed(e);
  anon_.drop_uncertain(back.size());
  checker_->take();
}

void ModelState::close_anonymous() {
  if (anon_.live() > 0) anon_.close_stretch(true);
}

void ModelState::drain() {
  checker_->drained();
  if (anon_.live() > 0) {
    Finding f;
    f.rule = "leak";
    f.message =
        fmt::format("{} anonymous pages (allocations without page events) are still live at the end", anon_.live());
    f.counts = {{"live", static_cast<std::int64_t>(anon_.live())}};
    out_->hold(std::move(f));
  }
  cex_->drain();
  collect();
}

}  // namespace unpop::replay
