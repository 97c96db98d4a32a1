// The replayer held against the model itself (issue 17): traces generated from model runs of
// the LIFO variants, with two to four tasks, rendered as real captures print them -- tracepoint
// style, or kprobe style (return-probe summaries of allocations, entry-probe frees whose pages
// follow) -- with summaries delayed past other tasks' events by random amounts and CPUs
// changing from line to line. A valid run must replay `ok` with the LIFO order checked to the
// end; one page moved, or one growth moved, must be caught (a violation or a divergence).
//
// The model is sequential, so its order of calls is the lock order: page events are emitted
// where the model's calls run, and only the summaries (which the kernel emits outside
// list_lock) move. Run count: RC_PARAMS (ctest: a fixed seed, max_success 1500 per property);
// a longer run: RC_PARAMS="max_success=50000" build/traces/replay/replay_generated_test.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "model/layout/loaders.h"
#include "model/model.h"
#include "model/variants/registry.h"
#include "traces/replay/replay.h"
#include "traces/replay/report.h"

namespace unpop::replay {
namespace {

const bool kSeeded = [] {
  if (!std::getenv("RC_PARAMS")) setenv("RC_PARAMS", "seed=20261205 max_success=1500", 0);
  return true;
}();

// What the model reported, per call.
struct Recorder : Observer {
  struct Ev {
    enum Kind { growth, alloc, free } kind;
    std::uint64_t nr = 0;
    std::optional<Range> range;
    int ret = 0;
    PageSeq pages;
  };
  std::vector<Ev> evs;
  void growth(int, std::uint64_t nr, std::optional<Range> range, int ret) override {
    evs.push_back({Ev::growth, nr, range, ret, {}});
  }
  void allocated(const AllocEvent& e) override {
    if (e.path == Path::plain) evs.push_back({Ev::alloc, e.nr_pages, std::nullopt, e.ret, e.pages});
  }
  void freed(const FreeEvent& e) override {
    if (e.path == Path::plain) evs.push_back({Ev::free, e.nr_pages, std::nullopt, 0, e.pages});
  }
};

// The variants whose plain pool is page_list (the order is checked), with a layout of their arch.
struct Target {
  std::string variant, preset;
};
std::vector<Target> lifo_targets() {
  std::vector<Target> out;
  for (const auto& name : variant_names()) {
    const VariantInfo& v = variant_info(name);
    if (v.traits.pool != PoolKind::lifo_list) continue;
    out.push_back({name, v.native_arch == Arch::x86_64 ? "x86-pvh-dom0" : "qemu-virt-dom0"});
  }
  return out;
}

// A trace being written: one line per event, tasks' delayed summaries, random CPUs.
class Writer {
 public:
  Writer(std::uint32_t seed, bool kprobe) : rng_(seed), kprobe_(kprobe) {}
  void line(int task, const std::string& ev) {
    us_ += 1 + rng_() % 3;
    const int cpu = static_cast<int>(rng_() % 4);
    text_ += fmt::format("{:>16}-{:<7} [{:03}] ..... {:5}.{:06}: {}\n", "gntdev", 200 + task, cpu, us_ / 1000000,
                         us_ % 1000000, ev);
  }
  // Another task's delayed summary may come at any point (it is printed outside the lock).
  void maybe_flush_others(int task) {
    for (auto& [t, s] : pending_)
      if (t != task && !s.empty() && rng_() % 3 == 0) {
        line(t, s);
        s.clear();
      }
  }
  void flush(int task) {
    for (auto& [t, s] : pending_)
      if ((task < 0 || t == task) && !s.empty()) {
        line(t, s);
        s.clear();
      }
  }
  void summary(int task, const std::string& s, bool may_delay) {
    if (may_delay && rng_() % 2) {
      for (auto& [t, p] : pending_)
        if (t == task) {
          p = s;
          return;
        }
      pending_.push_back({task, s});
    } else {
      line(task, s);
    }
  }
  void call(int task, const Recorder::Ev& e) {
    const char* pfx = kprobe_ ? "(xen_alloc_unpopulated_pages+0x80/0x1a0) " : "";
    switch (e.kind) {
      case Recorder::Ev::growth:
        line(task, e.range ? fmt::format("xen_unpop_fill_list: nr_pages={} start={:#x} end={:#x} ret={}", e.nr,
                                         e.range->start, e.range->end, e.ret)
                           : fmt::format("xen_unpop_fill_list: nr_pages={} start=0x0 end=0x0 ret={}", e.nr, e.ret));
        break;
      case Recorder::Ev::alloc:
        for (std::uint64_t i = 0; i < e.pages.size(); ++i) {
          line(task, fmt::format("xen_unpop_alloc_page: {}pfn={:#x}", pfx, e.pages.at(i)));
          maybe_flush_others(task);
        }
        summary(task,
                kprobe_ ? fmt::format("xen_unpop_alloc: (gnttab_alloc_pages+0x28/0x98 <- xen_alloc_unpopulated_pages) "
                                      "nr_pages={} ret={}", e.nr, e.ret)
                        : fmt::format("xen_unpop_alloc: nr_pages={} ret={}", e.nr, e.ret),
                true);
        break;
      case Recorder::Ev::free:
        if (kprobe_)  // a probe on the free's entry: the summary first, the pages follow
          line(task, fmt::format("xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages={}", e.nr));
        for (std::uint64_t i = 0; i < e.pages.size(); ++i) {
          line(task, fmt::format("xen_unpop_free_page: {}pfn={:#x}",
                                 kprobe_ ? "(xen_free_unpopulated_pages+0x64/0xb0) " : "", e.pages.at(i)));
          maybe_flush_others(task);
        }
        if (!kprobe_) summary(task, fmt::format("xen_unpop_free: nr_pages={}", e.nr), true);
        break;
    }
  }
  std::string& text() { return text_; }

 private:
  std::mt19937 rng_;
  bool kprobe_;
  std::uint64_t us_ = 10000000;
  std::vector<std::pair<int, std::string>> pending_;
  std::string text_;
};

struct Generated {
  Target target;
  std::string text;
  int growths = 0;
};

// A model run of random calls by 2-4 tasks, rendered as a capture.
Generated generate() {
  static const std::vector<Target> targets = lifo_targets();
  Generated g;
  g.target = targets[*rc::gen::inRange<std::size_t>(0, targets.size())];
  const int tasks = *rc::gen::inRange(2, 5);
  const int ops = *rc::gen::inRange(2, 30);
  const bool kprobe = *rc::gen::arbitrary<bool>();
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  ModelConfig cfg;
  cfg.layout = load_preset(g.target.preset);
  Geometry::make(cfg.layout.arch, 4096, cfg.geo);
  cfg.variant = g.target.variant;
  Recorder rec;
  Model model(cfg, &rec);
  std::vector<std::vector<PageSeq>> live(tasks);
  Writer w(seed, kprobe);
  for (int i = 0; i < ops; ++i) {
    const int t = *rc::gen::inRange(0, tasks);
    Call c;
    c.owner = fmt::format("gntdev-{}", 200 + t);
    if (!live[t].empty() && *rc::gen::arbitrary<bool>()) {
      const auto k = *rc::gen::inRange<std::size_t>(0, live[t].size());
      c.kind = Call::Kind::free;
      c.pages = live[t][k];
      c.nr = c.pages.size();
      live[t].erase(live[t].begin() + static_cast<long>(k));
    } else {
      c.kind = Call::Kind::alloc;
      c.nr = *rc::gen::inRange<std::uint64_t>(1, 40);
    }
    const std::size_t before = rec.evs.size();
    OpResult r = model.run(c, t);
    if (c.kind == Call::Kind::alloc && r.ret == 0) live[t].push_back(r.pages);
    w.flush(t);  // a task makes one call at a time: its last summary comes first
    for (std::size_t e = before; e < rec.evs.size(); ++e) {
      g.growths += rec.evs[e].kind == Recorder::Ev::growth && rec.evs[e].range;
      w.call(t, rec.evs[e]);
    }
  }
  w.flush(-1);
  g.text = std::move(w.text());
  return g;
}

Result replay_text(const Generated& g, bool automatic = false, bool share_states = true) {
  Layout l = load_preset(g.target.preset);
  Geometry geo;
  Geometry::make(l.arch, 4096, geo);
  Options o;
  o.variant = automatic ? std::string(kAutoVariant) : g.target.variant;
  o.share_states = share_states;
  Replayer rep(l, geo, o);
  return replay::replay_text("gen.txt", g.text, rep);
}

std::string describe(const Result& r) {
  std::string s = fmt::format("verdict {}", to_string(r.verdict));
  for (const auto& v : r.violations) s += fmt::format("\n  {} at line {}: {}", v.finding.rule, v.at.line, v.finding.message);
  for (const auto& u : r.unchecked) s += "\n  unchecked: " + u;
  if (r.error) s += "\n  error: " + r.error->message;
  return s;
}

// Every line that is not an allocation page event stays; one alloc page's pfn changes.
bool move_one_page(std::string& text, std::size_t which) {
  std::vector<std::size_t> at;
  for (std::size_t p = text.find("xen_unpop_alloc_page:"); p != std::string::npos;
       p = text.find("xen_unpop_alloc_page:", p + 1))
    at.push_back(text.find("pfn=", p) + 4);
  if (at.empty()) return false;
  const std::size_t p = at[which % at.size()];
  const std::size_t end = text.find('\n', p);
  const std::uint64_t pfn = std::stoull(text.substr(p, end - p), nullptr, 16);
  text.replace(p, end - p, fmt::format("{:#x}", pfn + 1));
  return true;
}

// The first successful growth moves up by its own size (the pages handed out stay).
bool move_first_growth(std::string& text) {
  const std::size_t p = text.find("xen_unpop_fill_list:");
  if (p == std::string::npos) return false;
  const std::size_t s = text.find("start=", p) + 6, e = text.find("end=", p) + 4, r = text.find(" ret=", p);
  const std::uint64_t start = std::stoull(text.substr(s, e - 4 - 1 - s), nullptr, 16);
  const std::uint64_t end = std::stoull(text.substr(e, r - e), nullptr, 16);
  if (start == 0 && end == 0) return false;
  const std::uint64_t size = end - start + 1;
  text.replace(s, r - s, fmt::format("{:#x} end={:#x}", start + size, end + size));
  return true;
}

RC_GTEST_PROP(GeneratedTraces, ValidRunsReplayOkWithTheOrderChecked, ()) {
  const Generated g = generate();
  const Result r = replay_text(g);
  RC_TAG(g.target.variant);
  if (r.verdict != Verdict::ok) RC_FAIL(describe(r) + "\n" + g.text);
  for (const auto& u : r.unchecked)
    if (u.rfind("order-mismatch", 0) == 0) RC_FAIL("order not checked: " + describe(r) + "\n" + g.text);
  // --variant auto: the run's own variant fits it (it may not be the one chosen: the trace
  // cannot always tell the variants apart).
  const Result a = replay_text(g, true);
  if (a.verdict != Verdict::ok || !a.variant) RC_FAIL("auto: " + describe(a) + "\n" + g.text);
  const auto& fits = a.variant->fits;
  if (std::find(fits.begin(), fits.end(), g.target.variant) == fits.end())
    RC_FAIL(g.target.variant + " does not fit its own run under auto: " + describe(a) + "\n" + g.text);
}

RC_GTEST_PROP(GeneratedTraces, OneMovedPageIsCaught, ()) {
  Generated g = generate();
  const auto which = *rc::gen::arbitrary<std::size_t>();
  RC_PRE(move_one_page(g.text, which));
  const Result r = replay_text(g);
  // A page the list cannot hand out is a page-choice divergence, or a violation (double-alloc,
  // not-in-pool, a free of a page never handed out) where it breaks a rule.
  RC_ASSERT(r.verdict == Verdict::violation || r.verdict == Verdict::divergent);
}

// Under auto, candidates sharing one state (lockstep.h) report what one state per variant
// reports, on valid runs and on runs with one page moved (violations, divergences, drop-outs).
RC_GTEST_PROP(GeneratedTraces, SharedStatesReportAsSeparateOnes, ()) {
  Generated g = generate();
  if (*rc::gen::arbitrary<bool>()) move_one_page(g.text, *rc::gen::arbitrary<std::size_t>());
  const auto shared = to_json(replay_text(g, true, true)), separate = to_json(replay_text(g, true, false));
  if (shared != separate) RC_FAIL("shared:\n" + shared.dump(1) + "\nseparate:\n" + separate.dump(1) + "\n" + g.text);
}

RC_GTEST_PROP(GeneratedTraces, OneMovedGrowthIsCaught, ()) {
  Generated g = generate();
  RC_PRE(g.growths > 0 && g.text.find("xen_unpop_alloc_page:") != std::string::npos);
  RC_PRE(move_first_growth(g.text));
  const Result r = replay_text(g);
  RC_ASSERT(r.verdict == Verdict::violation || r.verdict == Verdict::divergent);
  RC_ASSERT(r.divergence.has_value());  // allocate_resource would not have put it there
}

}  // namespace
}  // namespace unpop::replay
