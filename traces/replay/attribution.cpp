#include "traces/replay/attribution.h"

#include <vector>

#include <fmt/format.h>

namespace unpop::replay {

namespace {
int index_of(Path p) { return p == Path::dma ? 1 : 0; }
bool is_alloc_page(Ev k) { return k == Ev::alloc_page || k == Ev::dma_alloc_page; }
}  // namespace

/// The pages of one call in progress: those waiting for the summary and those already handed
/// over as parts; the line of its first page event and where its last one was (a part handed
/// over early is filed there).
struct Attributor::Pending {
  PageSeq pages;    // waiting
  PageSeq applied;  // handed over as parts
  std::uint64_t first_line = 0;
  Where last;
  bool any() const { return !pages.empty() || !applied.empty(); }
  void add(Pfn p, const traces::Record& r) {
    if (!any()) first_line = r.line;
    pages.push_back(p);
    // Assigned in place (the strings keep their storage); file and comm rarely change.
    if (last.file != r.file) last.file = r.file;
    last.line = r.line;
    last.timestamp = r.timestamp;
    if (last.task != r.comm) last.task = r.comm;
    last.pid = r.pid;
    last.cpu = r.cpu;
  }
  /// The waiting pages, now handed over as a part.
  PageSeq take_part() {
    PageSeq out = pages;
    applied.append(out);
    pages.clear();
    return out;
  }
  /// The whole call's pages, parts first; this keeps its storage for the task's next call.
  PageSeq take() {
    PageSeq out = applied;
    out.append(pages);
    applied.clear();
    pages.clear();
    first_line = 0;
    return out;
  }
};

/// Per pid: calls in progress. A task makes one call at a time, so its page events belong to
/// its next summary (allocations, return-style frees) or to its last one (entry-style frees).
struct Attributor::Task {
  std::string owner;  // comm-pid
  bool busy = false;  // listed in busy_
  Pending alloc[2], free[2];  // [plain, dma]
  struct OpenFree {  // an entry-style free: its pages follow the summary
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
  struct Deferred {  // a growth whose pool the task's next summary decides
    std::uint64_t nr;
    std::optional<Range> range;
    int ret;
    std::optional<std::uint64_t> list_count;
    Where at;
  };
  std::vector<Deferred> deferred;
};

Attributor::Attributor(const Geometry& geo, Cursor& cursor, CallSink& sink) : geo_(geo), cur_(cursor), sink_(sink) {}
Attributor::~Attributor() = default;

// (Tasks are never dropped: the last one found stays valid, and consecutive events are mostly
// one task's.)
Attributor::Task& Attributor::task(const Event& e) {
  if (last_task_ && last_pid_ == e.rec->pid) return *last_task_;
  auto it = tasks_.find(e.rec->pid);
  if (it == tasks_.end()) {
    auto t = std::make_unique<Task>();
    t->owner = fmt::format("{}-{}", e.rec->comm, e.rec->pid);
    it = tasks_.emplace(e.rec->pid, std::move(t)).first;
  }
  last_pid_ = e.rec->pid;
  last_task_ = it->second.get();
  return *last_task_;
}

// ---------------------------------------------------------------------------------------------
// Growths

void Attributor::growth(const Event& e) {
  Task& t = task(e);
  if (t.open_free.open) close_open_free(t);
  auto nr = e.nr_pages();
  auto start = e.start();
  auto end = e.end();
  auto ret = e.ret();
  auto lc = e.list_count();
  const auto named = growth_pool(e);
  if (!named) return;
  int pool = *named;
  // A growth of the list runs under list_lock, after every list page seen so far (one whose
  // pool the next summary decides may be the list's too).
  if (pool == kMainPool) hand_over_others(t);
  if (!e.probe()) e.require_growth_fields();
  else if (!nr) sink_.unchecked("growth requests (nr_pages): the fill_list probe does not carry nr_pages");
  if (start && end && !ret) {  // kprobe on request_resource: entry half, ret follows
    if (t.growth.pending) settle(t);
    t.growth = Task::GrowthHalf{true, nr, Range{*start, *end}, pool, e.where()};
    cur_.span(geo_.pfn(*start), geo_.pfn(*end));
    return;
  }
  std::optional<Range> range;
  int rc = static_cast<int>(ret.value_or(0));
  if (start && end) {
    if (*start != 0 || *end != 0) range = Range{*start, *end};
  } else if (t.growth.pending) {  // the return half: the range is the entry half's
    range = t.growth.range;
    if (!nr) nr = t.growth.nr;
    pool = t.growth.pool;
    t.growth.pending = false;
  }
  if (rc == 0 && !range) {
    sink_.pool_extent_unknown();
    sink_.warn("unknown-growth", e.where(), "growth with ret=0 but no range: the pool's extent is unknown from here on");
    sink_.unchecked("not-in-pool, list_count: a growth of unknown range makes the pool's extent unknown");
  }
  if (rc != 0) range.reset();
  // A DMA pool of its own grows by the same event as the list: the task's next summary says
  // which pool a growth without pool= or name= was for.
  if (sink_.pool_from_next_summary() && !e.has_pool() && !e.name()) {
    t.deferred.push_back(Task::Deferred{nr.value_or(0), range, rc, lc, e.where()});
    if (range) cur_.span(geo_.pfn(range->start), geo_.pfn(range->end));
    return;
  }
  sink_.growth(GrowthCall{pool, nr.value_or(0), range, rc, lc});
}

// The pool a growth names (pool=dma, or the resource name= of a request_resource probe);
// nullopt for another resource than the allocator's, which is not a growth of it.
std::optional<int> Attributor::growth_pool(const Event& e) {
  int pool = kMainPool;
  if (e.pool()) pool = *e.pool() == "dma" ? kDmaPool : kMainPool;
  if (const auto& name = e.name()) {
    if (*name == "Xen DMA pool") return kDmaPool;
    if (*name != "Xen scratch") {
      sink_.warn("foreign-resource", e.where(),
                 fmt::format("xen_unpop_fill_list for resource \"{}\" (not \"Xen scratch\"): ignored", *name));
      return std::nullopt;
    }
  }
  return pool;
}

// A growth's entry half that no return half followed: taken as a success.
void Attributor::settle(Task& t) {
  if (t.growth.pending) {
    t.growth.pending = false;
    Where at = t.growth.at;
    AtEvent scope(cur_, at);
    sink_.warn("assumed-growth", at,
               fmt::format("growth {} has no return event with ret=: assumed to have succeeded",
                           to_string(t.growth.range)));
    sink_.growth(GrowthCall{t.growth.pool, t.growth.nr.value_or(0), t.growth.range, 0, std::nullopt});
    sink_.collect();
  }
  if (t.open_free.open) close_open_free(t);
}

void Attributor::flush_deferred(Task& t, int pool) {
  for (auto& d : t.deferred) {
    AtEvent scope(cur_, d.at);
    sink_.growth(GrowthCall{pool, d.nr, d.range, d.ret, d.list_count});
    sink_.collect();
  }
  t.deferred.clear();
}

// ---------------------------------------------------------------------------------------------
// Page events

void Attributor::page(const Event& e) {
  Task& t = task(e);
  const Path path = e.path();
  const int p = index_of(path);
  const bool alloc = is_alloc_page(e.kind);
  if (t.growth.pending) settle(t);
  // A growth whose pool waits for the task's next summary: the task's next page handed out
  // says it already (a growth and the pages of the same call), and a derived struct page base
  // needs the growth before the page.
  if (alloc && !t.deferred.empty()) flush_deferred(t, path == Path::dma ? kDmaPool : kMainPool);
  const Pfn pfn = sink_.page_pfn(e, alloc);
  if (path == Path::plain) hand_over_others(t);
  if (alloc) {
    if (t.open_free.open) close_open_free(t);
    if (t.free[0].any() || t.free[1].any()) flush_orphans(t, false);
    if (t.alloc[1 - p].any()) flush_orphans(t, false);
    t.alloc[p].add(pfn, *e.rec);
  } else if (t.open_free.open && t.open_free.path == path) {
    t.open_free.pages.add(pfn, *e.rec);
    cur_.span(pfn, pfn);
    // All nr_pages pages seen: the free is complete (its pages are back on the list for the
    // next allocation, whichever task makes it).
    if (t.open_free.nr && t.open_free.pages.pages.size() >= *t.open_free.nr) close_open_free(t);
  } else {
    if (t.open_free.open) close_open_free(t);
    if (t.alloc[0].any() || t.alloc[1].any() || t.free[1 - p].any())
      flush_orphans(t, false);
    t.free[p].add(pfn, *e.rec);
  }
  busy(t);
  cur_.span(pfn, pfn);
}

void Attributor::busy(Task& t) {
  if (!t.busy) {
    t.busy = true;
    busy_.push_back(&t);
  }
}

// Another task `me` is at a page event of the plain list (or grows it): page events are
// emitted under list_lock, so every other task's list pages seen so far were taken or given
// back before this one, whether or not their summaries came yet. They are handed over now, as
// parts, so the list sees them in lock order (the summary then only closes the call). The
// DMA path is left to its summaries: a genpool range is allocated and freed as a whole, and a
// part would make a DMA free look partial (docs/replay.md).
void Attributor::hand_over_others(Task& me) {
  if (busy_.empty() || (busy_.size() == 1 && busy_[0] == &me)) return;
  for (Task* o : busy_) {
    if (o == &me) continue;
    // An entry-style free that has started giving pages back has finished its locked loop.
    if (o->open_free.open && o->open_free.path == Path::plain && !o->open_free.pages.pages.empty())
      close_open_free(*o);
    if (!o->alloc[0].pages.empty()) hand_over(*o, /*alloc=*/true);
    if (!o->free[0].pages.empty()) hand_over(*o, /*alloc=*/false);
  }
  std::erase_if(busy_, [](Task* o) {
    const bool still = o->alloc[0].any() || o->alloc[1].any() || o->free[0].any() ||
                       o->free[1].any() || o->open_free.open;
    if (!still) o->busy = false;
    return !still;
  });
}

void Attributor::hand_over(Task& t, bool alloc) {
  Pending& pend = alloc ? t.alloc[0] : t.free[0];
  const Where at = pend.last;
  AtEvent scope(cur_, at, /*clear_span=*/true);  // the part's findings are its last page's
  if (alloc && !t.deferred.empty()) flush_deferred(t, kMainPool);  // its own growth comes first
  PageSeq pages = pend.take_part();
  const std::uint64_t n = pages.size();
  if (alloc)
    sink_.alloc(AllocCall{Path::plain, n, 0, std::move(pages), t.owner, std::nullopt, /*part=*/true, 0});
  else
    sink_.free(FreeCall{Path::plain, n, std::move(pages), t.owner, std::nullopt, /*part=*/true, 0});
  sink_.collect();
}

void Attributor::flush_others(Task& t, Pending& mine) {
  // A summary takes its own pending pages; pages on the task's other lists have no summary.
  bool others = false;
  for (const Pending* l : {&t.alloc[0], &t.alloc[1], &t.free[0], &t.free[1]})
    others = others || (l != &mine && l->any());
  if (!others) return;
  Pending keep = std::move(mine);
  mine = Pending{};
  flush_orphans(t, false);
  mine = std::move(keep);
}

void Attributor::flush_orphans(Task& t, bool at_end) {
  static const char* const kind[2][2] = {{"xen_unpop_alloc_page", "xen_unpop_dma_alloc_page"},
                                         {"xen_unpop_free_page", "xen_unpop_dma_free_page"}};
  static const char* const summary[2][2] = {{"xen_unpop_alloc", "xen_unpop_dma_alloc"},
                                            {"xen_unpop_free", "xen_unpop_dma_free"}};
  for (int f = 0; f < 2; ++f)
    for (int p = 0; p < 2; ++p) {
      Pending& pend = f ? t.free[p] : t.alloc[p];
      if (!pend.any()) continue;
      const std::uint64_t first_line = pend.first_line;
      const PageSeq pages = pend.take();
      std::string msg = fmt::format("{} {} events of {} (from line {}: {}) have no {} summary", pages.size(),
                                    kind[f][p], t.owner, first_line, pages.describe(), summary[f][p]);
      if (at_end) {
        sink_.warn("incomplete", cur_.where(), msg + " before the end of the input: the call was still running");
        sink_.unchecked("pages of calls still running at the end of the input");
      } else {
        Finding fd;
        fd.rule = "count-mismatch";
        fd.message = msg;
        fd.pfns = {pages.front()};
        fd.counts = {{"pages", static_cast<std::int64_t>(pages.size())}};
        sink_.hold(std::move(fd));
      }
      pend = Pending{};
    }
}

// ---------------------------------------------------------------------------------------------
// Summaries

void Attributor::alloc(const Event& e) {
  Task& t = task(e);
  const Path path = e.path();
  const int p = index_of(path);
  auto nr = e.nr_pages();
  auto ret = e.ret();
  if (e.probe_entry() && !ret) {  // entry half of a probed call: the return carries the result
    settle(t);
    return;
  }
  if (t.growth.pending) settle(t);
  if (t.open_free.open) close_open_free(t);
  e.require_alloc_fields();
  if (!ret) sink_.unchecked("return values: a probe without ret= (assumed 0)");
  if (!t.deferred.empty()) flush_deferred(t, p == 1 ? kDmaPool : kMainPool);
  flush_others(t, t.alloc[p]);
  const std::uint64_t applied = t.alloc[p].applied.size();
  PageSeq pages = t.alloc[p].take();
  if (!nr) {
    nr = pages.size();
    sink_.unchecked("count-mismatch of allocations: the probe does not carry nr_pages");
  }
  const std::string_view owner = path == Path::dma ? std::string_view(e.dev()) : std::string_view(t.owner);
  auto lc = e.list_count();
  sink_.alloc(AllocCall{path, *nr, static_cast<int>(ret.value_or(0)), std::move(pages), owner, lc, false, applied});
}

void Attributor::free(const Event& e) {
  Task& t = task(e);
  const Path path = e.path();
  const int p = index_of(path);
  auto nr = e.nr_pages();
  if (t.growth.pending) settle(t);
  if (t.open_free.open) close_open_free(t);
  if (!t.deferred.empty()) flush_deferred(t, kMainPool);
  e.require_free_fields();
  if (!nr) sink_.unchecked("count-mismatch of frees: the probe does not carry nr_pages");
  const std::string_view dev = path == Path::dma ? std::string_view(e.dev()) : std::string_view(t.owner);
  if (!t.free[p].any() && e.has_pages()) {
    // A kprobe on the free's entry may fetch the pages[] array (`pages={0xfffffc..,...}`,
    // struct page pointers). With the struct page base known they are the free's pages.
    if (e.pages_braced() && sink_.struct_page_base_known()) {
      PageSeq pages = sink_.pages_array(e);
      if (t.alloc[0].any() || t.alloc[1].any() || t.free[1 - p].any())
        flush_orphans(t, false);
      auto lc = e.list_count();
      sink_.free(FreeCall{path, nr.value_or(pages.size()), std::move(pages), dev, lc});
      return;
    }
    if (!sink_.struct_page_base_known())
      sink_.unchecked("pages={...} arrays of free probes: not used without --vmemmap (struct page base)");
  }
  if (e.probe_entry() && !t.free[p].any()) {
    // Entry-style free (a probe on the function's entry, no pages of this task before it): its
    // pages follow, up to this task's next event that is not one of them. An entry probe with
    // pages before it sits at the return (a uprobe on the trace call): return-style below.
    open_free(e, t, dev, nr);
    return;
  }
  flush_others(t, t.free[p]);
  const std::uint64_t applied = t.free[p].applied.size();
  PageSeq pages = t.free[p].take();
  auto lc = e.list_count();
  sink_.free(FreeCall{path, nr.value_or(pages.size()), std::move(pages), dev, lc, false, applied});
}

void Attributor::open_free(const Event& e, Task& t, std::string_view dev, std::optional<std::uint64_t> nr) {
  const int p = index_of(e.path());
  if (t.free[1 - p].any() || t.alloc[0].any() || t.alloc[1].any())
    flush_orphans(t, false);
  auto& of = t.open_free;
  of.open = true;
  of.path = e.path();
  of.nr = nr;
  of.dev = dev;
  of.at = e.where();
  of.pages = Pending{};
  of.list_count = e.list_count();
  busy(t);
}

void Attributor::close_open_free(Task& t) {
  auto& of = t.open_free;
  if (!of.open) return;
  of.open = false;
  const Where at = of.at;
  AtEvent scope(cur_, at, /*clear_span=*/true);  // the free's findings are the summary's
  sink_.collect();
  std::uint64_t nr = of.nr.value_or(of.pages.pages.size());
  const std::string_view owner = of.path == Path::dma ? std::string_view(of.dev) : std::string_view(t.owner);
  sink_.free(FreeCall{of.path, nr, std::move(of.pages.pages), owner, of.list_count});
  of.pages = Pending{};
  sink_.collect();
}

// ---------------------------------------------------------------------------------------------
// Other events, end of input

void Attributor::other(std::int64_t pid) {
  if (tasks_.empty()) return;
  auto t = tasks_.find(pid);
  if (t != tasks_.end() && (t->second->open_free.open || t->second->growth.pending)) settle(*t->second);
}

void Attributor::finish() {
  for (auto& [pid, t] : tasks_) {
    settle(*t);
    if (!t->deferred.empty()) flush_deferred(*t, kMainPool);
    flush_orphans(*t, true);
    sink_.collect();
  }
}

}  // namespace unpop::replay
