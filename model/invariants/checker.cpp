#include "model/invariants/checker.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"

namespace unpop {

namespace icl = boost::icl;
using PfnIv = PfnSet::interval_type;
using AddrIv = AddrSet::interval_type;

namespace {
// s & iv without copying s: O(log n + k) (icl's operator& takes its left operand by value).
PfnSet cut(const PfnSet& s, const PfnSet::interval_type& iv) {
  PfnSet out;
  icl::add_intersection(out, s, iv);
  return out;
}
// The named range of `list` overlapping r (lowest first), if any.
std::optional<NamedRange> hit(const std::vector<NamedRange>& list, const Range& r) {
  for (const auto& n : list)
    if (n.range.overlaps(r)) return n;
  return std::nullopt;
}
}  // namespace

Checker::Checker(const Layout& layout, const Geometry& geo, Options opt)
    : layout_(layout), geo_(geo), opt_(opt), ram_(layout.ram), devices_(layout.devices()) {
  for (const auto& r : ram_) ram_set_ += AddrIv::closed(r.range.start, r.range.end);
  for (const auto& r : devices_) dev_set_ += AddrIv::closed(r.range.start, r.range.end);
  regions_ = layout.ext_regions;
  std::sort(regions_.begin(), regions_.end());
}

void Checker::report(const char* rule, std::string msg, std::vector<NamedRange> ranges,
                     std::vector<std::uint64_t> pfns, std::vector<std::pair<std::string, std::int64_t>> counts) {
  const RuleInfo* info = find_rule(rule);
  Finding f;
  f.rule = rule;
  f.severity = info && info->liveness() ? Severity::liveness : Severity::violation;
  f.message = std::move(msg);
  f.ranges = std::move(ranges);
  f.pfns = std::move(pfns);
  f.counts = std::move(counts);
  f.step = step_;
  pending_.push_back(f);
  all_.push_back(std::move(f));
}

std::vector<Finding> Checker::take() {
  std::vector<Finding> out;
  out.swap(pending_);
  return out;
}

std::vector<Finding> Checker::layout_findings() const {
  std::vector<Finding> out;
  auto add = [&](const char* rule, Severity sev, std::string msg, std::vector<NamedRange> rs) {
    Finding f;
    f.rule = rule;
    f.severity = sev;
    f.message = std::move(msg);
    f.ranges = std::move(rs);
    out.push_back(std::move(f));
  };
  const auto& regs = layout_.ext_regions;
  for (std::size_t i = 0; i < regs.size(); ++i) {
    NamedRange me{regs[i], fmt::format("extended region {}", i)};
    for (std::size_t j = i + 1; j < regs.size(); ++j)
      if (regs[i].overlaps(regs[j]))
        add("region-overlap", Severity::violation,
            fmt::format("extended regions {} and {} overlap", i, j), {me, {regs[j], fmt::format("extended region {}", j)}});
    if (auto r = hit(ram_, regs[i]))
      add("region-overlap", Severity::violation, fmt::format("extended region {} overlaps RAM {}", i, r->name), {me, *r});
    if (auto d = hit(devices_, regs[i]))
      add("region-overlap", Severity::violation, fmt::format("extended region {} overlaps {}", i, d->name), {me, *d});
    // Xen's add_ext_regions() only emits 2 MiB-aligned regions of at least 64 MiB.
    if (!is_aligned(regs[i].start, 2ull << 20) || !is_aligned(regs[i].size(), 2ull << 20) || regs[i].size() < (64ull << 20))
      add("region-mismatch", Severity::warning,
          fmt::format("extended region {} ({}) is not what Xen emits: 2 MiB-aligned and at least 64 MiB", i,
                      to_string(regs[i])),
          {me});
  }
  return out;
}

void Checker::target_built(Target t, std::optional<Range> span, const std::vector<Range>& holes, int ret) {
  target_ = ret == 0 ? t : Target::none;
  if (target_ != Target::xen_resource || regions_.empty()) return;
  // The holes must be exactly the gaps between the sorted regions, the span their hull.
  std::vector<Range> want;
  for (std::size_t i = 1; i < regions_.size(); ++i)
    if (regions_[i - 1].end + 1 < regions_[i].start) want.push_back({regions_[i - 1].end + 1, regions_[i].start - 1});
  Range hull{regions_.front().start, regions_.back().end};
  for (const auto& r : regions_) hull.end = std::max(hull.end, r.end);
  if (span && *span != hull)
    report("region-mismatch", fmt::format("xen_resource spans {}, the extended regions span {}", to_string(*span),
                                          to_string(hull)),
           {{*span, "xen_resource"}, {hull, "extended regions"}});
  std::vector<Range> got = holes;
  std::sort(got.begin(), got.end());
  for (const auto& w : want)
    if (!std::binary_search(got.begin(), got.end(), w))
      report("region-mismatch", fmt::format("the gap {} between extended regions has no \"Unavailable space\" hole",
                                            to_string(w)),
             {{w, "gap"}});
  for (const auto& g : got)
    if (!std::binary_search(want.begin(), want.end(), g))
      report("region-mismatch", fmt::format("hole {} is not a gap between extended regions", to_string(g)), {{g, "hole"}});
}

void Checker::check_range_against_layout(const Range& r, const char* what) {
  if (icl::intersects(ram_set_, AddrIv::closed(r.start, r.end))) {
    auto bank = hit(ram_, r);
    report("ram-overlap", fmt::format("{} {} overlaps RAM {}", what, to_string(r), bank ? to_string(bank->range) : "(hot-plugged)"),
           {{r, what}, bank.value_or(NamedRange{r, "System RAM"})});
  }
  if (icl::intersects(dev_set_, AddrIv::closed(r.start, r.end)) || icl::intersects(claims_, AddrIv::closed(r.start, r.end))) {
    auto dev = hit(devices_, r);
    report("device-overlap", fmt::format("{} {} overlaps {}", what, to_string(r), dev ? dev->name : "a runtime iomem user"),
           {{r, what}, dev.value_or(NamedRange{r, "iomem user"})});
  }
}

void Checker::growth(int pool, std::uint64_t, std::optional<Range> range, int ret) {
  if (ret != 0 || !range) return;
  const Range r = *range;
  const Addr sec = geo_.section_size();
  if (!r.valid()) {  // a trace can carry anything: an empty interval would poison the sets
    report("growth-misaligned", fmt::format("growth {} ends before it starts", to_string(r)), {{r, "growth"}});
    return;
  }
  if (!spec::growth_whole_sections(spec::U64{}, r.start, r.end, sec))
    report("growth-misaligned",
           fmt::format("growth {} ({} bytes) is not whole {} MiB sections", to_string(r), r.size(), sec >> 20),
           {{r, "growth"}}, {}, {{"section_size", static_cast<std::int64_t>(sec)}});
  check_range_against_layout(r, "growth");
  if (target_ == Target::xen_resource) {
    bool inside = std::any_of(regions_.begin(), regions_.end(), [&](const Range& x) { return x.contains(r); });
    if (!inside) {
      std::vector<NamedRange> near{{r, "growth"}};
      for (const auto& x : regions_)
        if (x.overlaps(r) || near.size() < 3) near.push_back({x, "extended region"});
      report("outside-ext-region", fmt::format("growth {} is not inside one extended region", to_string(r)), near);
    }
  }
  PfnIv iv = PfnIv::closed(geo_.pfn(r.start), geo_.pfn(r.end));
  if (PfnSet both = cut(pool_all_, iv); !both.empty())
    report("growth-overlap", fmt::format("growth {} overlaps pages already in the pool", to_string(r)),
           {{r, "growth"}}, {icl::first(*both.begin())});
  pool_[pool == kDmaPool ? 1 : 0] += iv;
  pool_all_ += iv;
  growths_ += AddrIv::closed(r.start, r.end);
  if (opt_.expect_lifo && pool == kMainPool)
    ref_lifo_.push(PageSeq::ascending(icl::first(iv), icl::length(iv)));
}

void Checker::seeded(int pool, const Range& r) {
  check_range_against_layout(r, "seeded pool range");
  PfnIv iv = PfnIv::closed(geo_.pfn(r.start), geo_.pfn(r.end));
  pool_[pool == kDmaPool ? 1 : 0] += iv;
  pool_all_ += iv;
  if (opt_.expect_lifo && pool == kMainPool) ref_lifo_.push(PageSeq::ascending(icl::first(iv), icl::length(iv)));
}

void Checker::check_order(const PageSeq& pages) {
  if (!opt_.expect_lifo || !lifo_ok_) return;
  PageSeq want = ref_lifo_.pop(pages.size());
  if (want == pages) return;
  lifo_ok_ = false;  // the reference no longer knows the list: check order no further
  std::uint64_t i = 0;
  while (i < pages.size() && i < want.size() && pages.at(i) == want.at(i)) ++i;
  report("order-mismatch",
         fmt::format("page {} handed out is pfn {:#x}; page_list (LIFO) would give {:#x}", i,
                     i < pages.size() ? pages.at(i) : 0, i < want.size() ? want.at(i) : 0),
         {}, {i < pages.size() ? pages.at(i) : 0, i < want.size() ? want.at(i) : 0});  // handed out, LIFO's
}

std::string Checker::alloc_name(unsigned id) const {
  if (!opt_.steps_are_ops) return fmt::format("allocation #{}", id);
  auto it = allocs_.find(id);
  return fmt::format("allocation #{}", it != allocs_.end() ? it->second.step : step_);
}

void Checker::check_pages_allocated(const AllocEvent& e, unsigned id) {
  for (const PageRun& run : e.pages.runs()) allocate_run(run.lo(), run.hi(), e, id);
  if (e.path == Path::dma && !e.pages.contiguous_ascending()) {
    std::uint64_t gap = e.pages.first_gap();
    report("not-contiguous",
           fmt::format("DMA {} of {} pages is not IPA-contiguous: page {} is pfn {:#x} after {:#x}", alloc_name(id),
                       e.pages.size(), gap, e.pages.at(gap), e.pages.at(gap - 1)),
           {}, {e.pages.at(gap - 1), e.pages.at(gap)});
  }
  if (e.path == Path::plain) check_order(e.pages);
}

bool Checker::Hit::search(const PfnSet& s, Pfn lo, Pfn hi) {
  auto it = s.find(lo);
  if (it == s.end() || icl::last(*it) < hi) return false;
  this->lo = icl::first(*it);
  this->hi = icl::last(*it);
  return true;
}

std::uint64_t Checker::pool_overlap(int p, Pfn lo, Pfn hi) {
  const PfnSet& s = pool_[p];
  if (s.empty()) return 0;
  if (pool_hit_[p].in(s, lo, hi)) return hi - lo + 1;  // the usual answer
  const PfnIv iv = PfnIv::closed(lo, hi);
  std::uint64_t n = 0;
  auto [b, e] = s.equal_range(iv);
  for (auto it = b; it != e; ++it) n += icl::length(*it & iv);
  return n;
}

void Checker::drop_pages(std::uint32_t owner, std::uint64_t n) {
  // The runs of one free usually belong to one allocation: remember the last one found.
  if (!dropping_.set || owner != dropping_.id) {
    const auto it = allocs_.find(owner);
    if (it == allocs_.end()) return;
    dropping_.it = it;
    dropping_.id = owner;
    dropping_.set = true;
  }
  Alloc& a = dropping_.it->second;
  a.live -= std::min<std::uint64_t>(a.live, n);
  if (a.live == 0) {
    allocs_.erase(dropping_.it);
    dropping_.set = false;
  }
}

void Checker::allocate_run(Pfn lo, Pfn hi, const AllocEvent& e, unsigned id) {
  const PfnIv iv = PfnIv::closed(lo, hi);
  const bool in_pool = pool_all_hit_.in(pool_all_, lo, hi);
  if (!in_pool) {
    PfnSet outside = PfnSet(iv) - cut(pool_all_, iv);
    report("not-in-pool", fmt::format("pfn {:#x} handed out is not in the pool", icl::first(*outside.begin())),
           {{page_addr(lo, hi), "pages"}}, {icl::first(*outside.begin())});
  }
  // Pages still live are a double-alloc. They change hands (each page has one owner: the
  // older allocation no longer counts them), so the counts below stay exact.
  std::uint64_t again = 0, again_in[2] = {0, 0};
  pages_.for_each_overlap(lo, hi, [&](const LiveIndex::Run& part) {
    if (again == 0) {
      auto o = allocs_.find(part.tag.owner);
      report("double-alloc",
             fmt::format("pfn {:#x} handed out to #{} while live in #{}({})", part.lo, id, part.tag.owner,
                         o != allocs_.end() ? o->second.owner : "?"),
             {}, {part.lo});
    }
    again += part.hi - part.lo + 1;
    for (int p = 0; p < 2; ++p) again_in[p] += pool_overlap(p, part.lo, part.hi);
    drop_pages(part.tag.owner, part.hi - part.lo + 1);
  });
  // Pool pages were checked against the layout when their growth came (and every later claim
  // is checked against the pool): only pages from outside the pool need it here.
  if (!in_pool) check_range_against_layout(page_addr(lo, hi), "pages");
  for (int p = 0; p < 2; ++p) live_in_pool_[p] += pool_overlap(p, lo, hi) - again_in[p];
  live_count_ += hi - lo + 1 - again;
  pages_.set(lo, hi, PageTag{id, e.path == Path::dma ? PageState::live_dma : PageState::live_plain});
  if (!ever_hit_.in(ever_, lo, hi)) ever_ += iv;
}

void Checker::allocated(const AllocEvent& e) {
  const unsigned id = next_id_++;
  if ((e.ret == 0 && e.pages.size() != e.nr_pages) || (e.ret != 0 && !e.pages.empty()))
    report("count-mismatch",
           fmt::format("{} returned {} with {} pages for nr_pages={}", alloc_name(id), err::name(e.ret), e.pages.size(),
                       e.nr_pages),
           {}, {}, {{"nr_pages", static_cast<std::int64_t>(e.nr_pages)}, {"pages", static_cast<std::int64_t>(e.pages.size())}});
  if (e.ret != 0) {
    if (opt_.liveness && !e.fault_fired && e.nr_pages > 0 && could_serve(e.nr_pages, e.path == Path::dma, e.max_addr))
      report("spurious-enomem",
             fmt::format("{} allocation of {} pages failed with {} although free pool pages and unused sections of "
                         "the target hold it",
                         to_string(e.path), e.nr_pages, err::name(e.ret)),
             {}, {}, {{"nr_pages", static_cast<std::int64_t>(e.nr_pages)}});
    return;
  }
  // The allocation is recorded first, so pages it hands out twice find their owner.
  if (!e.pages.empty()) allocs_.emplace(id, Alloc{e.owner, e.caller, step_, e.path, e.source, e.pages, e.pages.size()});
  if (e.source == Source::ram) {
    // An injected failure of the unpopulated path (fault_fired) makes the RAM fallback the
    // designed answer, as it exempts a failure from spurious-enomem.
    if (opt_.liveness && target_ != Target::none && !e.fault_fired &&
        could_serve(e.nr_pages, e.path == Path::dma, e.max_addr))
      report("ram-stolen",
             fmt::format("{} {} of {} pages took real RAM although unpopulated space could hold it",
                         to_string(e.path), alloc_name(id), e.nr_pages),
             {}, {}, {{"nr_pages", static_cast<std::int64_t>(e.nr_pages)}});
    for (const auto& run : e.pages.runs()) {
      std::uint64_t again = 0;
      ram_pages_.for_each_overlap(run.lo(), run.hi(), [&](const LiveIndex::Run& part) {
        again += part.hi - part.lo + 1;
        drop_pages(part.tag.owner, part.hi - part.lo + 1);
      });
      ram_live_count_ += run.count - again;
      ram_pages_.set(run.lo(), run.hi(), PageTag{id, PageState::live_ram});
    }
    return;
  }
  check_pages_allocated(e, id);
  if (e.path == Path::dma && !e.pages.empty()) dma_allocs_[e.pages.front()] = {e.pages.size(), id};
}

void Checker::check_dma_free(const FreeEvent& e) {
  Pfn first = e.pages.front();
  auto it = dma_allocs_.find(first);
  bool exact = it != dma_allocs_.end() && it->second.first == e.pages.size() && e.pages.contiguous_ascending();
  if (exact) {
    dma_allocs_.erase(it);
    return;
  }
  std::string what = it == dma_allocs_.end()
                         ? "no DMA allocation starts there"
                         : fmt::format("DMA {} has {} pages", alloc_name(it->second.second), it->second.first);
  report("dma-free-mismatch", fmt::format("DMA free of {} pages at pfn {:#x}: {}", e.pages.size(), first, what), {},
         {first}, {{"freed", static_cast<std::int64_t>(e.pages.size())}});
}

void Checker::free_run(Pfn lo, Pfn hi, const FreeEvent& e) {
  const PageState want = e.path == Path::dma ? PageState::live_dma : PageState::live_plain;
  std::optional<Pfn> twice, unknown, wrong;
  // Pages of [lo, hi] that are not live: given back before (handed out once: double-free) or
  // never handed out (unknown-free).
  auto not_live = [&](Pfn a, Pfn b) {
    if (!twice)
      if (PfnSet both = cut(ever_, PfnIv::closed(a, b)); !both.empty()) twice = icl::first(*both.begin());
    if (!unknown) unknown = a;
  };
  pages_.walk(
      lo, hi,
      [&](const LiveIndex::Run& part) {
        if (part.tag.state != want && !wrong) wrong = part.lo;
        for (int p = 0; p < 2; ++p) live_in_pool_[p] -= pool_overlap(p, part.lo, part.hi);
        live_count_ -= part.hi - part.lo + 1;
        drop_pages(part.tag.owner, part.hi - part.lo + 1);
      },
      not_live);
  if (twice) {
    report("double-free", fmt::format("pfn {:#x} given back twice", *twice), {}, {*twice});
  } else if (unknown) {
    bool in_pool = icl::contains(pool_all_, *unknown);
    report("unknown-free",
           fmt::format("pfn {:#x} given back but {}", *unknown, in_pool ? "never handed out" : "not in the pool"), {},
           {*unknown});
  }
  if (wrong)
    report("mixed-free",
           fmt::format("pfn {:#x} came out of the {} path and goes back through the {} path", *wrong,
                       e.path == Path::dma ? "plain" : "DMA", to_string(e.path)),
           {}, {*wrong});
  pages_.erase(lo, hi);
}

void Checker::free_ram_run(Pfn lo, Pfn hi) {
  std::optional<Pfn> unknown;
  ram_pages_.walk(
      lo, hi,
      [&](const LiveIndex::Run& part) {
        ram_live_count_ -= part.hi - part.lo + 1;
        drop_pages(part.tag.owner, part.hi - part.lo + 1);
      },
      [&](Pfn a, Pfn) {
        if (!unknown) unknown = a;
      });
  if (unknown) report("unknown-free", fmt::format("RAM pfn {:#x} given back but not taken", *unknown), {}, {*unknown});
  ram_pages_.erase(lo, hi);
}

void Checker::freed(const FreeEvent& e) {
  if (e.nr_pages != e.pages.size())
    report("count-mismatch", fmt::format("free of nr_pages={} gave back {} pages", e.nr_pages, e.pages.size()), {}, {},
           {{"nr_pages", static_cast<std::int64_t>(e.nr_pages)}, {"pages", static_cast<std::int64_t>(e.pages.size())}});
  if (e.source == Source::ram) {
    for (const auto& run : e.pages.runs()) free_ram_run(run.lo(), run.hi());
    return;
  }
  if (e.path == Path::dma && !e.pages.empty()) check_dma_free(e);
  for (const auto& run : e.pages.runs()) free_run(run.lo(), run.hi(), e);
  if (opt_.expect_lifo && e.path == Path::plain) ref_lifo_.push(e.pages);
}

PfnSet Checker::live() const {
  PfnSet s;
  for (const auto& r : pages_.runs()) s += PfnIv::closed(r.lo, r.hi);
  return s;
}

void Checker::counts(const CountReport& c) {
  int p = c.pool == kDmaPool ? 1 : 0;
  std::uint64_t pool = icl::cardinality(pool_[p]);
  std::uint64_t expect = pool - std::min(pool, live_in_pool_[p]);
  if (c.counter != expect || c.actual != expect || c.pool_pages != pool)
    report("count-mismatch",
           fmt::format("{}: counter {} and structure {} free pages, {} pool pages; expected {} free of {} (live {})",
                       p ? "DMA pool" : "pool", c.counter, c.actual, c.pool_pages, expect, pool, live_in_pool_[p]),
           {}, {},
           {{"counter", static_cast<std::int64_t>(c.counter)},
            {"actual", static_cast<std::int64_t>(c.actual)},
            {"expected_free", static_cast<std::int64_t>(expect)},
            {"pool_pages", static_cast<std::int64_t>(pool)}});
}

void Checker::claimed(const Range& r, const std::string& name, bool is_ram) {
  claims_ += AddrIv::closed(r.start, r.end);
  if (is_ram) {
    ram_set_ += AddrIv::closed(r.start, r.end);
    ram_.push_back({r, name});
  }
  PfnIv iv = PfnIv::closed(geo_.pfn(r.start), geo_.pfn(r.end));
  if (icl::intersects(pool_all_, iv))
    report(is_ram ? "ram-overlap" : "device-overlap",
           fmt::format("{} {} claimed over pool pages", name, to_string(r)), {{r, name}});
}

void Checker::kernel_bug(const std::string& what) { report("kernel-bug", what); }

AddrSet Checker::target_space() const {
  AddrSet t;
  if (target_ == Target::xen_resource) {
    for (const auto& r : regions_) t += AddrIv::closed(r.start, r.end);
  } else if (target_ == Target::iomem) {
    t += AddrIv::closed(0, iomem_span(layout_).end);
  }
  Range plug = pluggable_range(layout_, geo_);
  t &= AddrIv::closed(plug.start, plug.end);
  t -= ram_set_;
  t -= dev_set_;
  t -= claims_;
  for (const auto& x : layout_.extra_mem) t -= AddrIv::closed(x.range.start, x.range.end);
  for (const auto& g : growths_) t -= AddrIv::closed(icl::first(g), icl::last(g));
  for (const auto& p : pool_all_) t -= AddrIv::closed(geo_.addr(icl::first(p)), geo_.addr(icl::last(p)) + geo_.page_size() - 1);
  return t;
}

bool Checker::could_serve(std::uint64_t nr, bool contiguous, Addr max_addr) const {
  if (target_ == Target::none) return false;
  const Addr sec = geo_.section_size();
  PfnSet space = pool_all_;  // free pool pages, whichever pool holds them
  for (const auto& r : pages_.runs()) space -= PfnIv::closed(r.lo, r.hi);
  for (const auto& iv : target_space()) {
    Addr s = align_up(icl::first(iv), sec);
    Addr e = align_down(icl::last(iv) + 1, sec);
    if (s < icl::first(iv) || e <= s) continue;
    space += PfnIv::right_open(geo_.pfn(s), geo_.pfn(e));
  }
  if (max_addr != ~Addr{0}) space &= PfnIv::closed(0, geo_.pfn(max_addr));
  if (!contiguous) return icl::cardinality(space) >= nr;
  for (const auto& iv : space)
    if (icl::length(iv) >= nr) return true;
  return false;
}

void Checker::drained() {
  for (const auto& [id, a] : allocs_)
    if (a.live > 0)
      report("leak",
             fmt::format("{} ({} {} pages by {}{}) still holds {} pages", alloc_name(id), to_string(a.path),
                         a.pages.size(), a.owner.empty() ? fmt::format("caller {}", a.caller) : a.owner,
                         opt_.steps_are_ops ? "" : fmt::format(", line {}", a.step), a.live),
             {}, {a.pages.empty() ? 0 : a.pages.front()}, {{"live", static_cast<std::int64_t>(a.live)}});
}

}  // namespace unpop
