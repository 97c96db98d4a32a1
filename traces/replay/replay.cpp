#include "traces/replay/replay.h"

#include <algorithm>
#include <cstring>

#include <sys/stat.h>
#include <set>

#include <fmt/format.h>

#include "model/case/runner.h"
#include "model/core/errno.h"
#include "model/variants/variant.h"
#include "traces/prefetch_reader.h"
#include "traces/reader.h"

namespace unpop::replay {

namespace icl = boost::icl;
using traces::Record;
using traces::RecordKind;

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::violation: return "violation";
    case Verdict::unreadable: return "unreadable";
  }
  return "?";
}

namespace {
constexpr std::size_t kMaxReported = 10000;  // bound on report entries (--all on a broken trace)
constexpr std::size_t kMaxStretches = 20;
constexpr std::uint64_t kWarningsPerKind = 5;

// Findings that depend on history a lost-events marker may have hidden (contract), plus the
// project's history-dependent rules (order, path, DMA range bookkeeping).
bool history_dependent(const std::string& rule) {
  const RuleInfo* r = find_rule(rule);
  return r && r->history;
}

bool is_probe_entry(const Record& r) { return r.probe.present && !r.probe.is_return; }

// The contract's events (xen_unpop_*), named once: feed() dispatches on the kind and the
// context ring stores it instead of copying the name of every event.
enum class Ev : std::uint8_t {
  other,  // not in the xen_unpop group
  unknown,  // in the group but not in the contract
  region, init, alloc_page, free_page, dma_alloc_page, dma_free_page, fill_list, alloc, free, dma_alloc, dma_free
};
constexpr std::string_view kEvNames[] = {"",
                                         "",
                                         "xen_unpop_region",
                                         "xen_unpop_init",
                                         "xen_unpop_alloc_page",
                                         "xen_unpop_free_page",
                                         "xen_unpop_dma_alloc_page",
                                         "xen_unpop_dma_free_page",
                                         "xen_unpop_fill_list",
                                         "xen_unpop_alloc",
                                         "xen_unpop_free",
                                         "xen_unpop_dma_alloc",
                                         "xen_unpop_dma_free"};

Ev event_kind(std::string_view name) {
  // Called for every event: candidates by length (one or three per length), then one compare.
  auto is = [&](Ev e) { return name == kEvNames[static_cast<int>(e)]; };
  Ev hit = Ev::other;
  switch (name.size()) {
    case 14: hit = name[10] == 'i' ? Ev::init : Ev::free; break;
    case 15: hit = Ev::alloc; break;
    case 16: hit = Ev::region; break;
    case 18: hit = Ev::dma_free; break;
    case 19: hit = name[10] == 'f' ? (name[11] == 'r' ? Ev::free_page : Ev::fill_list) : Ev::dma_alloc; break;
    case 20: hit = Ev::alloc_page; break;
    case 23: hit = Ev::dma_free_page; break;
    case 24: hit = Ev::dma_alloc_page; break;
    default: break;
  }
  if (hit != Ev::other && is(hit)) return hit;
  return name.size() >= 10 && name.compare(0, 10, "xen_unpop_") == 0 ? Ev::unknown : Ev::other;
}

std::string sanitize_token(std::string s) {
  for (char& c : s)
    if (c == ' ' || c == '\t' || c == '#') c = '_';
  return s.empty() ? std::string("dev") : s;
}
}  // namespace

struct Replayer::Pending {
  PageSeq pages;
  std::uint64_t first_line = 0;
  void add(Pfn p, std::uint64_t line) {
    if (pages.empty()) first_line = line;
    pages.push_back(p);
  }
  /// The pages (one exact-size copy); this keeps its storage for the task's next call.
  PageSeq take() {
    PageSeq out = pages;
    pages.clear();
    first_line = 0;
    return out;
  }
};

struct Replayer::Task {
  std::string owner;  // comm-pid
  Pending alloc[2], free[2];
  struct OpenFree {
    bool open = false;
    Path path = Path::plain;
    std::optional<std::uint64_t> nr;
    std::string dev;
    Where at;
    Pending pages;
    std::optional<std::uint64_t> list_count;
  } open_free;
  struct GrowthHalf {  // kprobe on request_resource: the entry half (range), waiting for ret
    bool pending = false;
    std::optional<std::uint64_t> nr;
    Range range;
    int pool = kMainPool;
    Where at;
  } growth;
  struct Deferred {  // rfc: a growth whose pool the task's next summary decides
    std::uint64_t nr;
    std::optional<Range> range;
    int ret;
    std::optional<std::uint64_t> list_count;
    Where at;
  };
  std::vector<Deferred> deferred;
};

// Text of a remembered event: inline up to N bytes (comm is at most 15 in the kernel, a
// timestamp at most 30, a page event's body ~20), a heap string beyond. Every event is
// remembered, so this avoids std::string's general assign on the replay's hot path.
template <std::size_t N>
struct InlineText {
  char buf[N];
  std::uint8_t len = 0;  // N + 1: the text is in `big`
  std::string big;
  void assign(std::string_view s) {
    if (s.size() <= N) {
      std::memcpy(buf, s.data(), s.size());
      len = static_cast<std::uint8_t>(s.size());
    } else {
      big.assign(s);
      len = N + 1;
    }
  }
  std::string_view view() const { return len <= N ? std::string_view(buf, len) : std::string_view(big); }
};

struct Replayer::RingEntry {
  std::size_t file = 0;
  std::uint64_t line = 0;
  std::int64_t pid = -1;
  Pfn lo = 1, hi = 0;  // lo > hi: no pages
  InlineText<23> comm;
  InlineText<31> timestamp;
  InlineText<63> body;
  Ev kind = Ev::other;  // always a contract event: only those are remembered
  std::int32_t cpu = -1;
};

Replayer::Replayer(Layout layout, const Geometry& geo, Options opt)
    : layout_(std::move(layout)), geo_(geo), opt_(std::move(opt)) {
  info_ = &variant_info(opt_.variant);
  list_variant_ = info_->traits.pool == PoolKind::lifo_list;
  vmemmap_ = opt_.vmemmap;
  if (opt_.struct_page_size == 0) throw LoadError{"--struct-page-size", 0, "expected a size > 0"};
  ring_.resize(std::max<std::size_t>(opt_.ring_size, 1));
}

Replayer::~Replayer() = default;

Where Replayer::where(const Record& r) const {
  return Where{r.file, r.line, r.timestamp, r.comm, r.pid, r.cpu};
}

Where Replayer::cur_where() const {
  if (cur_override_) return *cur_override_;
  if (cur_) return where(*cur_);
  return end_where_;
}

Replayer::Task& Replayer::task(const Record& r) {
  auto it = tasks_.find(r.pid);
  if (it == tasks_.end()) {
    auto t = std::make_unique<Task>();
    t->owner = fmt::format("{}-{}", r.comm, r.pid);
    it = tasks_.emplace(r.pid, std::move(t)).first;
  }
  return *it->second;
}

void Replayer::fail(InputError e) {
  if (!res_.error) res_.error = std::move(e);
  stop_ = true;
}

std::optional<std::uint64_t> Replayer::optional_u64(const Record& r, std::string_view key) {
  auto raw = r.fields.raw(key);
  if (!raw) return std::nullopt;
  auto v = traces::parse_u64(*raw);
  if (!v)
    throw InputError{r.file, r.line,
                     fmt::format("{}: expected {}=NUMBER (0x hex or decimal), found {}={}", r.name, key, key, *raw)};
  return v;
}

std::optional<std::int64_t> Replayer::optional_s64(const Record& r, std::string_view key) {
  auto raw = r.fields.raw(key);
  if (!raw) return std::nullopt;
  auto v = traces::parse_s64(*raw);
  if (!v)
    throw InputError{r.file, r.line, fmt::format("{}: expected {}=INTEGER, found {}={}", r.name, key, key, *raw)};
  return v;
}

std::uint64_t Replayer::required(const Record& r, std::string_view key) {
  auto v = optional_u64(r, key);
  if (!v) throw InputError{r.file, r.line, fmt::format("{}: expected a {}= field", r.name, key)};
  return *v;
}

void Replayer::add_unchecked(std::string s) {
  if (std::find(res_.unchecked.begin(), res_.unchecked.end(), s) == res_.unchecked.end() &&
      res_.unchecked.size() < 200)
    res_.unchecked.push_back(std::move(s));
}

void Replayer::warn(std::string kind, const Where& at, std::string msg) {
  // The first few of each kind are listed, the rest counted (a lost marker early in a long
  // trace would otherwise turn every later finding into a line).
  auto& n = warn_counts_[kind];
  if (++n > kWarningsPerKind || res_.warnings.size() >= kMaxReported) return;
  res_.warnings.push_back(Warning{std::move(kind), at.file, at.line, std::move(msg)});
}

// ---------------------------------------------------------------------------------------------
// Checker construction, init and regions

void Replayer::ensure_checker() {
  if (checker_) return;
  std::sort(trace_regions_.begin(), trace_regions_.end());
  std::sort(trace_holes_.begin(), trace_holes_.end());
  const Where at = cur_where();
  if (!trace_regions_.empty()) {
    if (layout_.ext_regions.empty()) {
      layout_.ext_regions = trace_regions_;
      layout_.hypervisor_node = true;
      warn("regions-from-trace", at,
           fmt::format("the layout has no extended regions: using the {} xen_unpop_region kind=ext events",
                       trace_regions_.size()));
    } else {
      std::vector<Range> dt = layout_.ext_regions;
      std::sort(dt.begin(), dt.end());
      for (const auto& r : trace_regions_)
        if (!std::binary_search(dt.begin(), dt.end(), r)) {
          Finding f;
          f.rule = "region-mismatch";
          f.message = fmt::format("extended region {} of the trace is not one of the layout's ({})", to_string(r),
                                  layout_.source);
          f.ranges = {{r, "trace region"}};
          held_.push_back(std::move(f));
        }
      for (const auto& r : dt)
        if (!std::binary_search(trace_regions_.begin(), trace_regions_.end(), r)) {
          Finding f;
          f.rule = "region-mismatch";
          f.message = fmt::format("extended region {} of the layout ({}) is missing from the trace's regions",
                                  to_string(r), layout_.source);
          f.ranges = {{r, "layout region"}};
          held_.push_back(std::move(f));
        }
    }
  }
  Checker::Options o = checker_options(opt_.variant);
  o.liveness = opt_.liveness;
  checker_ = std::make_unique<Checker>(layout_, geo_, o);
  checker_->set_step(cur_ ? cur_->line : 0);
  for (auto& f : checker_->layout_findings()) held_.push_back(std::move(f));
  if (uses_iomem_target(*info_, layout_)) {
    for (const auto& x : layout_.extra_mem) {
      checker_->seeded(kMainPool, x.range);
      main_pool_pages_ += geo_.pfn(x.range.end) - geo_.pfn(x.range.start) + 1;
    }
  }
  if (!saw_init_) {
    Target t = !layout_.ext_regions.empty() && info_->traits.target != GrowthTarget::iomem ? Target::xen_resource
                                                                                         : Target::iomem;
    std::vector<Range> regs = layout_.ext_regions, gaps;
    std::sort(regs.begin(), regs.end());
    for (std::size_t i = 1; i < regs.size(); ++i)
      if (regs[i - 1].end + 1 < regs[i].start) gaps.push_back({regs[i - 1].end + 1, regs[i].start - 1});
    checker_->target_built(t, std::nullopt, gaps, 0);
    warn("inferred-target", at,
         fmt::format("no xen_unpop_init event before the first allocator event: target {} inferred from the layout "
                     "({})",
                     to_string(t), t == Target::xen_resource ? "it has extended regions" : "no extended regions"));
    add_unchecked("region-mismatch: no xen_unpop_init/xen_unpop_region events, the regions Linux built are unknown");
  }
}

void Replayer::on_region(const Record& r) {
  auto kind = r.fields.str("kind");
  Range range{required(r, "start"), required(r, "end")};
  if (!kind || (*kind != "ext" && *kind != "unavailable"))
    throw InputError{r.file, r.line, "xen_unpop_region: expected kind=ext or kind=unavailable"};
  if (checker_) {
    warn("late-region", where(r), "xen_unpop_region after the allocator's first event: ignored");
    return;
  }
  (*kind == "ext" ? trace_regions_ : trace_holes_).push_back(range);
}

void Replayer::on_init(const Record& r) {
  auto target = r.fields.str("target");
  Target t;
  if (target == "xen_resource") t = Target::xen_resource;
  else if (target == "iomem_resource") t = Target::iomem;
  else if (target == "none") t = Target::none;
  else throw InputError{r.file, r.line, "xen_unpop_init: expected target=xen_resource|iomem_resource|none"};
  std::uint64_t start = required(r, "start"), end = required(r, "end");
  auto ret = optional_s64(r, "ret");
  if (!ret) throw InputError{r.file, r.line, "xen_unpop_init: expected a ret= field"};
  bool first = !checker_;
  saw_init_ = true;
  ensure_checker();
  if (!first) warn("late-init", where(r), "xen_unpop_init after allocator events");
  std::optional<Range> span;
  if (*ret == 0 && t != Target::none) span = Range{start, end};
  // Holes are only meaningful when Linux built xen_resource from regions.
  checker_->target_built(t, t == Target::xen_resource ? span : std::nullopt, trace_holes_, static_cast<int>(*ret));
  if (t == Target::xen_resource && trace_regions_.empty() && layout_.ext_regions.empty())
    add_unchecked("outside-ext-region: target xen_resource but neither the layout nor the trace gives the regions");
}

// ---------------------------------------------------------------------------------------------
// Growth

void Replayer::do_growth(int pool, std::uint64_t nr, std::optional<Range> range, int ret,
                         std::optional<std::uint64_t> list_count) {
  const std::uint64_t free_before = checker_->pool_pages() - std::min(checker_->pool_pages(), checker_->live_pages());
  const bool empty_before = free_before == 0 && anon_[0] + anon_[1] == 0;
  checker_->growth(pool, nr, range, ret);
  if (ret == 0 && range) {
    if (pool == kMainPool) main_pool_pages_ += geo_.pfn(range->end) - geo_.pfn(range->start) + 1;
    cur_lo_ = geo_.pfn(range->start);
    cur_hi_ = geo_.pfn(range->end);
    if (empty_before) empty_growth_ = range;
    else empty_growth_.reset();
  }
  if (list_count && pool == kMainPool) check_list_count(*list_count);
}

void Replayer::flush_deferred(Task& t, int pool) {
  for (auto& d : t.deferred) {
    cur_override_ = &d.at;
    do_growth(pool, d.nr, d.range, d.ret, d.list_count);
    collect();
  }
  cur_override_ = nullptr;
  t.deferred.clear();
}

void Replayer::settle(Task& t) {
  if (t.growth.pending) {
    t.growth.pending = false;
    Where at = t.growth.at;
    cur_override_ = &at;
    warn("assumed-growth", at,
         fmt::format("growth {} has no return event with ret=: assumed to have succeeded",
                     to_string(t.growth.range)));
    do_growth(t.growth.pool, t.growth.nr.value_or(0), t.growth.range, 0, std::nullopt);
    collect();
    cur_override_ = nullptr;
  }
  if (t.open_free.open) close_open_free(t);
}

void Replayer::on_growth(const Record& r) {
  Task& t = task(r);
  if (t.open_free.open) close_open_free(t);
  auto nr = optional_u64(r, "nr_pages");
  auto start = optional_u64(r, "start");
  auto end = optional_u64(r, "end");
  auto ret = optional_s64(r, "ret");
  auto lc = optional_u64(r, "list_count");
  auto name = r.fields.str("name");
  int pool = kMainPool;
  if (auto p = r.fields.str("pool")) pool = *p == "dma" ? kDmaPool : kMainPool;
  if (name) {
    if (*name == "Xen DMA pool") pool = kDmaPool;
    else if (*name != "Xen scratch") {
      warn("foreign-resource", where(r),
           fmt::format("xen_unpop_fill_list for resource \"{}\" (not \"Xen scratch\"): ignored", *name));
      return;
    }
  }
  if (!r.probe.present) {
    if (!nr || !start || !end || !ret)
      throw InputError{r.file, r.line, "xen_unpop_fill_list: expected nr_pages=, start=, end= and ret= fields"};
  } else if (!nr) {
    add_unchecked("growth requests (nr_pages): the fill_list probe does not carry nr_pages");
  }
  if (start && end && !ret) {  // kprobe on request_resource: entry half, ret follows
    if (t.growth.pending) settle(t);
    t.growth = Task::GrowthHalf{true, nr, Range{*start, *end}, pool, where(r)};
    cur_lo_ = geo_.pfn(*start);
    cur_hi_ = geo_.pfn(*end);
    return;
  }
  std::optional<Range> range;
  int rc = static_cast<int>(ret.value_or(0));
  if (start && end) {
    if (*start != 0 || *end != 0) range = Range{*start, *end};
  } else if (t.growth.pending) {
    range = t.growth.range;
    if (!nr) nr = t.growth.nr;
    pool = t.growth.pool;
    t.growth.pending = false;
  }
  if (rc == 0 && !range) {
    pool_unknown_ = true;
    warn("unknown-growth", where(r), "growth with ret=0 but no range: the pool's extent is unknown from here on");
    add_unchecked("not-in-pool, list_count: a growth of unknown range makes the pool's extent unknown");
  }
  if (rc != 0) range.reset();
  // A DMA pool of its own grows by the same event as the list: the task's next summary says
  // which pool a growth without pool= or name= was for.
  if (info_->traits.dma == DmaSource::own_genpool && !r.fields.has("pool") && !name) {
    t.deferred.push_back(Task::Deferred{nr.value_or(0), range, rc, lc, where(r)});
    if (range) {
      cur_lo_ = geo_.pfn(range->start);
      cur_hi_ = geo_.pfn(range->end);
    }
    return;
  }
  do_growth(pool, nr.value_or(0), range, rc, lc);
}

// ---------------------------------------------------------------------------------------------
// Pages

std::optional<Pfn> Replayer::page_pfn(const Record& r, bool alloc) {
  if (auto p = optional_u64(r, "pfn")) return p;
  auto page = optional_u64(r, "page");
  if (!page) throw InputError{r.file, r.line, fmt::format("{}: expected a pfn= or page= field", r.name)};
  if (!vmemmap_ && alloc && empty_growth_) {
    Pfn want = list_variant_ ? geo_.pfn(empty_growth_->end) : geo_.pfn(empty_growth_->start);
    vmemmap_ = *page - want * opt_.struct_page_size;
    vmemmap_derived_ = true;
    warn("derived-vmemmap", where(r),
         fmt::format("no --vmemmap: derived the struct page base {:#x} from the first page handed out after the "
                     "growth {} into an empty pool ({} pfn {:#x})",
                     *vmemmap_, to_string(*empty_growth_), list_variant_ ? "LIFO: its last" : "its first", want));
  }
  if (!vmemmap_)
    throw InputError{r.file, r.line,
                     fmt::format("{}: page= needs --vmemmap BASE (the struct page array base; "
                                 "--struct-page-size, default 64): it cannot be derived from the trace before this "
                                 "event (no growth into an empty pool followed by a page handed out)",
                                 r.name)};
  if (*page < *vmemmap_ || (*page - *vmemmap_) % opt_.struct_page_size != 0)
    throw InputError{r.file, r.line,
                     fmt::format("{}: page={:#x} is not a struct page of the array at {:#x} (size {}){}", r.name, *page,
                                 *vmemmap_, opt_.struct_page_size, vmemmap_derived_ ? " derived from the trace" : "")};
  return (*page - *vmemmap_) / opt_.struct_page_size;
}

void Replayer::on_page(const Record& r, bool alloc, Path path) {
  Task& t = task(r);
  const int p = path == Path::dma ? 1 : 0;
  if (t.growth.pending) settle(t);
  Pfn pfn = *page_pfn(r, alloc);
  if (alloc) {
    if (t.open_free.open) close_open_free(t);
    if (!t.free[0].pages.empty() || !t.free[1].pages.empty()) flush_orphans(t, false);
    if (!t.alloc[1 - p].pages.empty()) flush_orphans(t, false);
    if (t.alloc[p].pages.empty() && !order_unknown_ && list_variant_ && tasks_.size() > 1) {
      // Another task is between its own pages and its summary: hand-outs interleave (the
      // kernel's list_lock forbids it; a user-space or unlocked path may not). Summaries then
      // arrive in another order than the pops, so the LIFO reference cannot follow.
      for (const auto& [pid, other] : tasks_)
        if (other.get() != &t && (!other->alloc[0].pages.empty() || !other->alloc[1].pages.empty())) {
          order_unknown_ = true;
          add_unchecked(fmt::format("order-mismatch after {}:{}: allocations of {} and {} interleave (no list_lock "
                                    "around them), so the LIFO order is not followed from there",
                                    r.file, r.line, other->owner, t.owner));
          break;
        }
    }
    t.alloc[p].add(pfn, r.line);
    empty_growth_.reset();
  } else {
    if (t.open_free.open && t.open_free.path == path) {
      t.open_free.pages.add(pfn, r.line);
      cur_lo_ = cur_hi_ = pfn;
      // All nr_pages pages seen: the free is complete (its pages are back on the list for
      // the next allocation, whichever task makes it).
      if (t.open_free.nr && t.open_free.pages.pages.size() >= *t.open_free.nr) close_open_free(t);
    } else {
      if (t.open_free.open) close_open_free(t);
      if (!t.alloc[0].pages.empty() || !t.alloc[1].pages.empty() || !t.free[1 - p].pages.empty())
        flush_orphans(t, false);
      t.free[p].add(pfn, r.line);
    }
  }
  cur_lo_ = cur_hi_ = pfn;
}

void Replayer::flush_others(Task& t, Pending& mine) {
  // A summary takes its own pending pages; pages on the task's other lists have no summary.
  bool others = false;
  for (const Pending* l : {&t.alloc[0], &t.alloc[1], &t.free[0], &t.free[1]})
    others = others || (l != &mine && !l->pages.empty());
  if (!others) return;
  Pending keep = std::move(mine);
  mine = Pending{};
  flush_orphans(t, false);
  mine = std::move(keep);
}

void Replayer::flush_orphans(Task& t, bool at_end) {
  static const char* const kind[2][2] = {{"xen_unpop_alloc_page", "xen_unpop_dma_alloc_page"},
                                         {"xen_unpop_free_page", "xen_unpop_dma_free_page"}};
  static const char* const summary[2][2] = {{"xen_unpop_alloc", "xen_unpop_dma_alloc"},
                                            {"xen_unpop_free", "xen_unpop_dma_free"}};
  for (int f = 0; f < 2; ++f)
    for (int p = 0; p < 2; ++p) {
      Pending& pend = f ? t.free[p] : t.alloc[p];
      if (pend.pages.empty()) continue;
      std::string msg = fmt::format("{} {} events of {} (from line {}: {}) have no {} summary", pend.pages.size(),
                                    kind[f][p], t.owner, pend.first_line, pend.pages.describe(), summary[f][p]);
      if (at_end) {
        warn("incomplete", cur_where(), msg + " before the end of the input: the call was still running");
        add_unchecked("pages of calls still running at the end of the input");
      } else {
        Finding fd;
        fd.rule = "count-mismatch";
        fd.message = msg;
        fd.pfns = {pend.pages.front()};
        fd.counts = {{"pages", static_cast<std::int64_t>(pend.pages.size())}};
        held_.push_back(std::move(fd));
      }
      pend = Pending{};
    }
}

// ---------------------------------------------------------------------------------------------
// Allocations and frees

Source Replayer::dma_source(const PageSeq& pages) const {
  if (info_->traits.dma == DmaSource::cma_ram) return Source::ram;  // CMA (dma_alloc_coherent)
  if (info_->traits.cma_fallback && !pages.empty()) {
    // V1 falls back to dma_alloc_coherent(): pages outside the pool are RAM.
    for (const auto& run : pages.runs())
      if (!icl::contains(checker_->pool(), PfnSet::interval_type::closed(run.lo(), run.hi()))) return Source::ram;
  }
  return Source::pool;
}

void Replayer::anon_change(int p, std::int64_t delta) {
  const bool was = anon_[0] + anon_[1] > 0;
  anon_[p] = static_cast<std::uint64_t>(static_cast<std::int64_t>(anon_[p]) + delta);
  const bool now = anon_[0] + anon_[1] > 0;
  ++anon_stretch_calls_;
  if (!was && now) {
    const Where at = cur_where();
    anon_stretch_file_ = at.file;
    anon_stretch_start_ = at.line;
    anon_stretch_calls_ = 1;
  }
  if (was && !now) close_stretch(false);
  if (!order_unknown_ && list_variant_) {
    order_unknown_ = true;
    add_unchecked(fmt::format("order-mismatch after {}:{}: pages handed out or given back without page events "
                              "make the LIFO order unknown",
                              cur_where().file, cur_where().line));
  }
}

void Replayer::close_stretch(bool at_end) {
  if (anon_stretches_++ < kMaxStretches) {
    const Where at = cur_where();
    add_unchecked(fmt::format(
        "{}:{}-{}: {} calls without page events (anonymous pages, {} live at the {}): not-in-pool, double-alloc, "
        "unknown-free, double-free, mixed-free, not-contiguous and ram/device overlap of those pages not checked; "
        "counts and totals checked",
        anon_stretch_file_, anon_stretch_start_, at_end ? std::string("end") : std::to_string(at.line),
        anon_stretch_calls_, at_end ? anon_[0] + anon_[1] : 0, at_end ? "end" : "close"));
  } else if (anon_stretches_ == kMaxStretches + 1) {
    add_unchecked("... more stretches of anonymous pages (not listed)");
  }
}

void Replayer::reconcile_uncertain(const PageSeq& pages) {
  if (uncertain_ == 0) return;
  PfnSet mine;
  for (const auto& run : pages.runs()) mine += PfnSet::interval_type::closed(run.lo(), run.hi());
  PfnSet stale = mine & checker_->live();
  if (stale.empty()) return;
  // These live pages must be among those given back without page events: release them quietly.
  collect();
  PageSeq back;
  for (const auto& iv : stale) {
    std::uint64_t n = std::min<std::uint64_t>(icl::length(iv), uncertain_ - std::min(uncertain_, back.size()));
    if (n) back.append(PageRun{icl::first(iv), n, 1});
  }
  FreeEvent e;
  e.nr_pages = back.size();
  e.pages = back;
  checker_->freed(e);
  uncertain_ -= std::min(uncertain_, back.size());
  checker_->take();
}

// The span of pages the current event touches, kept with it in the context ring.
void Replayer::touch(const PageSeq& pages) {
  if (pages.empty()) return;
  cur_lo_ = pages.runs().front().lo();
  cur_hi_ = cur_lo_;
  for (const auto& run : pages.runs()) {
    cur_lo_ = std::min(cur_lo_, run.lo());
    cur_hi_ = std::max(cur_hi_, run.hi());
  }
}

void Replayer::do_alloc(Path path, std::uint64_t nr, int ret, PageSeq pages, const std::string& owner,
                        std::optional<std::uint64_t> list_count) {
  const int p = path == Path::dma ? 1 : 0;
  touch(pages);
  if (ret == 0 && pages.empty() && nr > 0) {
    anon_change(p, static_cast<std::int64_t>(nr));
    if (list_count) check_list_count(*list_count);
    cex_alloc(path, nr, owner, pages, true);
    return;
  }
  AllocEvent e;
  e.path = path;
  e.owner = owner;
  e.nr_pages = nr;
  e.ret = ret;
  if (ret == 0) {
    reconcile_uncertain(pages);
    e.source = path == Path::dma ? dma_source(pages) : Source::pool;
    e.pages = std::move(pages);
    checker_->allocated(e);
    cex_alloc(path, nr, owner, e.pages, true);
  } else {
    if (!pages.empty()) {
      warn("assumed-rollback", cur_where(),
           fmt::format("{} allocation returned {} after {} page events ({}): assumed rolled back by the kernel (pages "
                       "checked as handed out, then put back)",
                       to_string(path), err::name(ret), pages.size(), pages.describe()));
      reconcile_uncertain(pages);
      AllocEvent ok = e;
      ok.ret = 0;
      ok.nr_pages = pages.size();
      ok.source = path == Path::dma ? dma_source(pages) : Source::pool;
      ok.pages = pages;
      checker_->allocated(ok);
      collect();
      FreeEvent back;
      back.path = path;
      back.source = ok.source;
      back.owner = owner;
      back.nr_pages = pages.size();
      back.pages = pages;
      checker_->freed(back);
    }
    collect();
    e.source = path == Path::dma && info_->traits.dma == DmaSource::cma_ram ? Source::ram : Source::pool;
    checker_->allocated(e);
    auto fs = checker_->take();
    for (auto& f : fs) {
      // Anonymous live pages look free to the checker: a failure is spurious only if the space
      // also covers them.
      if (f.rule == "spurious-enomem" && anon_[0] + anon_[1] > 0 &&
          !checker_->could_serve(nr + anon_[0] + anon_[1], path == Path::dma, ~Addr{0}))
        continue;
      held_.push_back(std::move(f));
    }
    cex_alloc(path, nr, owner, PageSeq{}, false);
  }
  if (list_count) check_list_count(*list_count);
}

void Replayer::do_free(Path path, std::uint64_t nr, PageSeq pages, const std::string& owner,
                       std::optional<std::uint64_t> list_count) {
  const int p = path == Path::dma ? 1 : 0;
  if (pages.empty() && nr > 0) {
    if (nr <= anon_[p]) {
      anon_change(p, -static_cast<std::int64_t>(nr));
    } else {
      std::uint64_t excess = nr - anon_[p];
      if (anon_[p]) anon_change(p, -static_cast<std::int64_t>(anon_[p]));
      std::uint64_t known = checker_->live_pages() - std::min(checker_->live_pages(), uncertain_);
      if (excess > known + anon_[1 - p]) {
        Finding f;
        f.rule = "count-mismatch";
        f.message = fmt::format("{} free of {} pages without page events, but only {} pages are live", to_string(path),
                                nr, known + anon_[1 - p] + (nr - excess));
        f.counts = {{"nr_pages", static_cast<std::int64_t>(nr)},
                    {"live", static_cast<std::int64_t>(known + anon_[1 - p] + (nr - excess))}};
        held_.push_back(std::move(f));
      } else {
        uncertain_ += excess;
        if (!order_unknown_ && list_variant_) anon_change(p, 0);
        add_unchecked(fmt::format(
            "{}:{}: {} known pages given back without page events: which ones is unknown; a later hand-out of a page "
            "still live to the checker is taken as one of them, and leak/list_count are not checked from here",
            cur_where().file, cur_where().line, excess));
      }
    }
    if (list_count) check_list_count(*list_count);
    cex_free(path, nr, pages);
    return;
  }
  touch(pages);
  FreeEvent e;
  e.path = path;
  e.owner = owner;
  e.nr_pages = nr;
  e.source = path == Path::dma ? dma_source(pages) : Source::pool;
  // (V1 picks the free path by is_xen_unpopulated_page(): RAM pages the checker took as RAM.)
  e.pages = std::move(pages);
  checker_->freed(e);
  cex_free(path, nr, e.pages);
  if (list_count) check_list_count(*list_count);
}

void Replayer::check_list_count(std::uint64_t list_count) {
  if (pool_unknown_ || uncertain_ > 0) {
    add_unchecked("list_count: the pool or the live pages are not exactly known (growth of unknown range or pages "
                  "given back without page events)");
    return;
  }
  const bool one_pool = dma_shares_pool(*info_);
  std::uint64_t anon = anon_[0] + (one_pool ? anon_[1] : 0);
  CountReport c;
  c.pool = kMainPool;
  c.counter = list_count + anon;
  c.actual = c.counter;
  c.pool_pages = main_pool_pages_;
  checker_->counts(c);
}

void Replayer::close_open_free(Task& t) {
  auto& of = t.open_free;
  if (!of.open) return;
  of.open = false;
  Where at = of.at;
  const Where* saved = cur_override_;
  cur_override_ = &at;
  const Pfn slo = cur_lo_, shi = cur_hi_;
  cur_lo_ = 1;
  cur_hi_ = 0;
  collect();
  std::uint64_t nr = of.nr.value_or(of.pages.pages.size());
  do_free(of.path, nr, std::move(of.pages.pages), of.path == Path::dma ? of.dev : t.owner, of.list_count);
  of.pages = Pending{};
  collect();
  cur_override_ = saved;
  cur_lo_ = slo;
  cur_hi_ = shi;
}

void Replayer::on_alloc(const Record& r, Path path) {
  Task& t = task(r);
  const int p = path == Path::dma ? 1 : 0;
  auto nr = optional_u64(r, "nr_pages");
  auto ret = optional_s64(r, "ret");
  if (is_probe_entry(r) && !ret) {  // entry half of a probed call: the return carries the result
    settle(t);
    return;
  }
  if (t.growth.pending) settle(t);
  if (t.open_free.open) close_open_free(t);
  if (!r.probe.present && (!nr || !ret))
    throw InputError{r.file, r.line, fmt::format("{}: expected nr_pages= and ret= fields", r.name)};
  if (!ret) {
    add_unchecked("return values: a probe without ret= (assumed 0)");
  }
  if (!t.deferred.empty()) flush_deferred(t, p == 1 ? kDmaPool : kMainPool);
  flush_others(t, t.alloc[p]);
  PageSeq pages = t.alloc[p].take();
  if (!nr) {
    nr = pages.size();
    add_unchecked("count-mismatch of allocations: the probe does not carry nr_pages");
  }
  std::string dev;
  const std::string& owner = path == Path::dma ? (dev = r.fields.str("dev").value_or("dma")) : t.owner;
  do_alloc(path, *nr, static_cast<int>(ret.value_or(0)), std::move(pages), owner, optional_u64(r, "list_count"));
}

void Replayer::on_free(const Record& r, Path path) {
  Task& t = task(r);
  const int p = path == Path::dma ? 1 : 0;
  auto nr = optional_u64(r, "nr_pages");
  if (t.growth.pending) settle(t);
  if (t.open_free.open) close_open_free(t);
  if (!t.deferred.empty()) flush_deferred(t, kMainPool);
  if (!r.probe.present && !nr) throw InputError{r.file, r.line, fmt::format("{}: expected a nr_pages= field", r.name)};
  if (!nr) add_unchecked("count-mismatch of frees: the probe does not carry nr_pages");
  std::string dev = path == Path::dma ? r.fields.str("dev").value_or("dma") : t.owner;
  if (t.free[p].pages.empty() && r.fields.has("pages")) {
    // A kprobe on the free's entry may fetch the pages[] array (`pages={0xfffffc..,...}`,
    // struct page pointers). With the struct page base known they are the free's pages.
    auto raw = *r.fields.raw("pages");
    if (raw.size() >= 2 && raw.front() == '{' && raw.back() == '}' && vmemmap_) {
      PageSeq pages;
      std::string_view body = raw.substr(1, raw.size() - 2);
      while (!body.empty()) {
        auto comma = body.find(',');
        std::string_view tok = body.substr(0, comma);
        auto v = traces::parse_u64(tok);
        if (!v) v = traces::parse_hex_u64(tok);
        if (!v || *v < *vmemmap_ || (*v - *vmemmap_) % opt_.struct_page_size != 0)
          throw InputError{r.file, r.line,
                           fmt::format("{}: pages= entry '{}' is not a struct page of the array at {:#x}", r.name,
                                       tok, *vmemmap_)};
        pages.push_back((*v - *vmemmap_) / opt_.struct_page_size);
        if (comma == std::string_view::npos) break;
        body.remove_prefix(comma + 1);
      }
      if (!t.alloc[0].pages.empty() || !t.alloc[1].pages.empty() || !t.free[1 - p].pages.empty())
        flush_orphans(t, false);
      do_free(path, nr.value_or(pages.size()), std::move(pages), dev, optional_u64(r, "list_count"));
      return;
    }
    if (!vmemmap_) add_unchecked("pages={...} arrays of free probes: not used without --vmemmap (struct page base)");
  }
  if (is_probe_entry(r) && t.free[p].pages.empty()) {
    // Entry-style free (a probe on the function's entry, no pages of this task before it): its
    // pages follow, up to this task's next event that is not one of them. An entry probe with
    // pages before it sits at the return (a uprobe on the trace call): return-style below.
    if (!t.free[1 - p].pages.empty() || !t.alloc[0].pages.empty() || !t.alloc[1].pages.empty())
      flush_orphans(t, false);
    t.open_free.open = true;
    t.open_free.path = path;
    t.open_free.nr = nr;
    t.open_free.dev = dev;
    t.open_free.at = where(r);
    t.open_free.pages = Pending{};
    t.open_free.list_count = optional_u64(r, "list_count");
    return;
  }
  flush_others(t, t.free[p]);
  PageSeq pages = t.free[p].take();
  do_free(path, nr.value_or(pages.size()), std::move(pages), dev, optional_u64(r, "list_count"));
}

// ---------------------------------------------------------------------------------------------
// Findings, context, the event loop

std::vector<std::string> Replayer::context_for(const Finding& f, std::int64_t pid) const {
  PfnSet pages;
  for (auto p : f.pfns) pages += p;
  for (const auto& nr : f.ranges)
    if (nr.range.valid()) pages += PfnSet::interval_type::closed(geo_.pfn(nr.range.start), geo_.pfn(nr.range.end));
  std::vector<const RingEntry*> hits;
  const std::size_t n = std::min<std::uint64_t>(ring_count_, ring_.size());
  for (std::size_t k = 0; k < n && hits.size() < opt_.context_lines; ++k) {
    const RingEntry& e = ring_[(ring_next_ + ring_.size() - 1 - k) % ring_.size()];
    bool touch = e.lo <= e.hi && icl::intersects(pages, PfnSet::interval_type::closed(e.lo, e.hi));
    // Summaries without pages of the same task belong to the same calls.
    if (!touch && pages.empty()) touch = e.pid == pid;
    if (!touch && e.lo > e.hi && e.pid == pid && hits.size() < 2) touch = true;
    if (touch) hits.push_back(&e);
  }
  std::vector<std::string> out;
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
    const RingEntry& e = **it;
    out.push_back(fmt::format("{}:{}: {}-{} [{:03}] {}: {}: {}", files_[e.file], e.line, e.comm.view(), e.pid, e.cpu,
                              e.timestamp.view(), kEvNames[static_cast<int>(e.kind)], e.body.view()));
  }
  return out;
}

void Replayer::collect() {
  if (!checker_ || (held_.empty() && !checker_->has_pending())) return;  // the usual case
  auto fresh = checker_->take();
  for (auto& f : fresh) held_.push_back(std::move(f));
  std::vector<Finding> fs;
  fs.swap(held_);
  Where at = cur_where();
  for (auto& f : fs) {
    if (f.rule == "order-mismatch" && order_unknown_) continue;
    if (f.rule == "not-in-pool" && pool_unknown_) continue;
    if (f.severity == Severity::warning) {
      warn(f.rule, at, f.message);
      continue;
    }
    Reported rep;
    rep.at = at;
    rep.context = context_for(f, at.pid);
    if (f.severity == Severity::liveness) {
      rep.finding = std::move(f);
      if (res_.findings.size() < kMaxReported) res_.findings.push_back(std::move(rep));
      continue;
    }
    const bool lost = !lost_marker_.empty() && history_dependent(f.rule);
    const bool uncertain = uncertain_ > 0 && f.rule == "leak";
    if (lost || uncertain) {
      warn(f.rule, at,
           fmt::format("{} (uncertain: {})", f.message,
                       lost ? "after " + lost_marker_
                            : "known pages were given back without page events"));
      continue;
    }
    rep.finding = std::move(f);
    if (res_.violations.empty() && opt_.build_cex)
      cex_failing_ = cex_ops_.empty() ? 0 : cex_ops_.size() - 1, cex_failing_line_ = at.line;
    if (res_.violations.size() < kMaxReported) res_.violations.push_back(std::move(rep));
    if (!opt_.all) stop_ = true;
  }
}

void Replayer::remember(const Record& r, int kind) {
  RingEntry& e = ring_[ring_next_];
  ring_next_ = (ring_next_ + 1) % ring_.size();
  ++ring_count_;
  e.file = file_idx_;
  e.line = r.line;
  e.pid = r.pid;
  e.cpu = r.cpu;
  e.lo = cur_lo_;
  e.hi = cur_hi_;
  e.comm.assign(r.comm);
  e.timestamp.assign(r.timestamp);
  e.kind = static_cast<Ev>(kind);
  e.body.assign(r.body);
}

bool Replayer::feed(const Record& r) {
  if (stop_) return false;
  cur_ = &r;
  cur_override_ = nullptr;
  cur_lo_ = 1;
  cur_hi_ = 0;
  if (files_.empty() || end_where_.file != r.file) {  // a new input: remember() files events under its index
    end_where_.file = r.file;
    auto it = std::find(files_.begin(), files_.end(), r.file);
    file_idx_ = static_cast<std::size_t>(it - files_.begin());
    if (it == files_.end()) files_.push_back(r.file);
  }
  end_where_.line = r.line;
  try {
    switch (r.kind) {
      case RecordKind::comment: return true;
      case RecordKind::lost_events: {
        std::string text = r.text.empty() ? fmt::format("CPU:{} [LOST {} EVENTS]", r.cpu, r.lost ? *r.lost : 0) : r.text;
        lost_marker_ = fmt::format("{} at {}:{}", text, r.file, r.line);
        warn("lost-events", where(r),
             fmt::format("{}: later unknown-free, double-free, not-in-pool, double-alloc, count-mismatch, leak "
                         "(and order-mismatch, mixed-free, dma-free-mismatch) findings are warnings",
                         text));
        add_unchecked("history-dependent rules after a lost-events marker (reported as warnings)");
        return true;
      }
      case RecordKind::event: break;
    }
    ++res_.events;
    if (r.ts_ns < last_ts_)  // replayed in input order: say so rather than sort silently
      warn("unsorted", where(r),
           fmt::format("timestamp {} is earlier than the previous event's: events are replayed in the order of the "
                       "input (several inputs are merged by timestamp, one input is not re-sorted)",
                       r.timestamp));
    last_ts_ = r.ts_ns;
    if (checker_) checker_->set_step(r.line);  // a live allocation's step is its summary's line
    const Ev ev = event_kind(r.name);
    if (ev == Ev::other) {
      std::string_view name = r.name;
      auto it = res_.other_events.find(name);
      if (it == res_.other_events.end()) res_.other_events.emplace(std::string(name), 1);
      else ++it->second;
      if (!tasks_.empty()) {
        auto t = tasks_.find(r.pid);
        if (t != tasks_.end() && (t->second->open_free.open || t->second->growth.pending)) settle(*t->second);
      }
      collect();
      return !stop_;
    }
    if (ev == Ev::unknown) {
      if (unknown_names_.insert(r.name).second)
        warn("unknown-event", where(r),
             fmt::format("{} is in the xen_unpop group but not in the trace contract: ignored", r.name));
      return true;
    }
    if (!checker_ && ev != Ev::region && ev != Ev::init) ensure_checker();
    switch (ev) {
      case Ev::region: on_region(r); break;
      case Ev::init: on_init(r); break;
      case Ev::alloc_page: on_page(r, true, Path::plain); break;
      case Ev::free_page: on_page(r, false, Path::plain); break;
      case Ev::dma_alloc_page: on_page(r, true, Path::dma); break;
      case Ev::dma_free_page: on_page(r, false, Path::dma); break;
      case Ev::fill_list: on_growth(r); break;
      case Ev::alloc: on_alloc(r, Path::plain); break;
      case Ev::free: on_free(r, Path::plain); break;
      case Ev::dma_alloc: on_alloc(r, Path::dma); break;
      case Ev::dma_free: on_free(r, Path::dma); break;
      case Ev::other:
      case Ev::unknown: break;
    }
    remember(r, static_cast<int>(ev));
    collect();
  } catch (const InputError& e) {
    fail(e);
  }
  return !stop_;
}

void Replayer::finish() {
  if (finished_) return;
  finished_ = true;
  cur_ = nullptr;
  cur_override_ = nullptr;
  if (res_.error) {
    res_.verdict = Verdict::unreadable;
    return;
  }
  if (!stop_) {
    ensure_checker();
    collect();
    for (auto& [pid, t] : tasks_) {
      settle(*t);
      if (!t->deferred.empty()) flush_deferred(*t, kMainPool);
      flush_orphans(*t, true);
      collect();
    }
    if (anon_[0] + anon_[1] > 0) close_stretch(true);
    if (opt_.drained) {
      end_where_.timestamp = "end of input";
      checker_->drained();
      if (anon_[0] + anon_[1] > 0) {
        Finding f;
        f.rule = "leak";
        f.message = fmt::format("{} anonymous pages (allocations without page events) are still live at the end",
                                anon_[0] + anon_[1]);
        f.counts = {{"live", static_cast<std::int64_t>(anon_[0] + anon_[1])}};
        held_.push_back(std::move(f));
      }
      if (opt_.build_cex) cex_ops_.push_back("drain");
      collect();
    } else {
      add_unchecked("leak: the run was not declared drained (--drained)");
    }
  }
  for (const auto& [kind, n] : warn_counts_)
    if (n > kWarningsPerKind)
      res_.warnings.push_back(Warning{kind, end_where_.file, 0,
                                      fmt::format("{} more {} warnings not listed", n - kWarningsPerKind, kind)});
  res_.verdict = res_.error ? Verdict::unreadable : !res_.violations.empty() ? Verdict::violation : Verdict::ok;
}

// ---------------------------------------------------------------------------------------------
// Counterexample

void Replayer::cex_alloc(Path path, std::uint64_t nr, const std::string& owner, const PageSeq& pages, bool ok) {
  if (!opt_.build_cex) return;
  if (path == Path::dma) cex_ops_.push_back(fmt::format("dma_alloc {} {}", nr, sanitize_token(owner)));
  else cex_ops_.push_back(fmt::format("alloc {}", nr));
  cex_pages_.push_back(pages);
  if (ok && !pages.empty()) cex_by_first_[pages.front()] = cex_ops_.size() - 1;
  if (ok && pages.empty() && nr > 0 && cex_exact_) {
    cex_exact_ = false;
    cex_notes_.push_back("allocations without page events: later frees by pfn may not match the model's pages");
  }
  if (!ok && cex_notes_.size() < 20)
    cex_notes_.push_back(fmt::format("op {} failed in the trace; the model decides for itself", cex_ops_.size() - 1));
}

void Replayer::cex_free(Path path, std::uint64_t nr, const PageSeq& pages) {
  if (!opt_.build_cex) return;
  const char* op = path == Path::dma ? "dma_free" : "free";
  if (pages.empty()) {
    if (nr == 0) return;
    cex_exact_ = false;
    cex_notes_.push_back(fmt::format("a free of {} pages without page events is left out", nr));
    return;
  }
  auto it = cex_by_first_.find(pages.front());
  if (it != cex_by_first_.end()) {
    const PageSeq& got = cex_pages_[it->second];
    if (got == pages) {
      cex_ops_.push_back(fmt::format("{} #{}", op, it->second));
      cex_pages_.emplace_back();
      cex_by_first_.erase(it);
      return;
    }
    if (pages.size() < got.size() && got.slice(0, pages.size()) == pages) {
      cex_ops_.push_back(fmt::format("{} #{} 0 {}", op, it->second, pages.size()));
      cex_pages_.emplace_back();
      return;
    }
  }
  // Not a whole (or leading part of an) earlier allocation: give the pfns back raw.
  if (cex_exact_)
    cex_notes_.push_back("frees that are not one earlier allocation are replayed as free_pfn of the trace's pfns; the "
                         "model may have handed out other pfns");
  cex_exact_ = false;
  for (const auto& run : pages.runs()) {
    cex_ops_.push_back(fmt::format("{}_pfn {:#x} {}", op, run.lo(), run.count));
    cex_pages_.emplace_back();
  }
}

Case Replayer::counterexample() const {
  Case c;
  c.preset = opt_.preset;
  c.layout = layout_;
  c.variant = opt_.variant;
  c.page_size = geo_.page_size();
  for (const auto& s : cex_ops_) c.ops.push_back(parse_op(s));
  c.origin = "replay";
  if (!res_.violations.empty()) {
    const auto& v = res_.violations.front();
    c.rule = v.finding.rule;
    c.failing_step = cex_failing_;
    c.extra["trace_event"] = {{"file", v.at.file}, {"line", v.at.line}, {"timestamp", v.at.timestamp}};
    // Ops are calls (alloc N, free #K, ...): the model then chooses pages and grows its pool
    // itself. Caller-side rules (what was given back, and when) replay; allocator-side rules
    // (which pages or ranges the kernel chose) show only if the model makes the same choice.
    const RuleInfo* info = find_rule(v.finding.rule);
    if (info && info->kind == RuleKind::caller)
      c.extra["reproducible"] = "yes: the ops make the same calls, so the model breaks the same rule";
    else
      c.extra["reproducible"] = fmt::format(
          "not by the ops alone: {} is about the pages or ranges the traced kernel chose (or its layout); the model "
          "chooses its own with variant {}, so explore shows the calls leading there, not necessarily the same finding",
          v.finding.rule, opt_.variant);
  }
  c.extra["exact"] = cex_exact_;
  c.extra["notes"] = cex_notes_;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Inputs

namespace {
// The reader's message without its `file:line:` prefix (the error object names those).
std::string short_message(const traces::ReadError& err) {
  std::string m = "expected " + err.expected;
  if (!err.found.empty()) m += "; found '" + err.found + "'";
  if (err.column) m += fmt::format(" (column {})", err.column);
  if (err.byte_offset) m += fmt::format(" (at byte {})", *err.byte_offset);
  return m;
}
}  // namespace

Result replay_files(const std::vector<std::string>& files, Replayer& rep) {
  // Each input is parsed on its own thread, a few batches ahead of the replay (2 cores: the
  // replay no longer waits for the parser).
  struct Input {
    std::unique_ptr<traces::PrefetchReader> reader;
    const Record* rec = nullptr;
    bool have = false;
    bool done = false;
  };
  std::vector<Input> in(files.size());
  traces::ReadError err;  // one for the whole loop: it holds strings
  auto advance = [&](Input& x) {
    if (x.done) return true;
    switch (x.reader->next(x.rec, err)) {
      case traces::ReadStatus::record: x.have = true; return true;
      case traces::ReadStatus::end: x.have = false; x.done = true; return true;
      case traces::ReadStatus::error:
        rep.fail(InputError{err.file.empty() ? x.reader->name() : err.file, err.line, short_message(err)});
        x.have = false;
        x.done = true;
        return false;
    }
    return false;
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto reader = traces::open_trace(files[i], err);
    if (!reader) {
      rep.fail(InputError{files[i], err.line, short_message(err)});
      rep.finish();
      return rep.result();
    }
    // A regular file is read in batches; a pipe or a live trace_pipe record by record, so an
    // event is checked as soon as the kernel writes it (a batch would wait to be full).
    struct stat st {};
    const bool regular = ::stat(files[i].c_str(), &st) == 0 && S_ISREG(st.st_mode);
    in[i].reader = std::make_unique<traces::PrefetchReader>(std::move(reader), regular ? 256 : 1);
  }
  bool ok = true;
  if (in.size() == 1) {
    while (ok && advance(in[0]) && in[0].have)
      if (!rep.feed(*in[0].rec)) break;
  } else {
    for (auto& x : in)
      if (!advance(x)) ok = false;
    while (ok) {
      // Non-events (comments, lost markers) go first, in their file's order; then the event
      // with the smallest timestamp (ties: the earlier input).
      Input* pick = nullptr;
      for (auto& x : in) {
        if (!x.have) continue;
        if (x.rec->kind != RecordKind::event) {
          pick = &x;
          break;
        }
        if (!pick || x.rec->ts_ns < pick->rec->ts_ns) pick = &x;
      }
      if (!pick) break;
      if (!rep.feed(*pick->rec)) break;
      if (!advance(*pick)) break;
    }
  }
  rep.finish();
  return rep.result();
}

}  // namespace unpop::replay
