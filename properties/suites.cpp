#include "properties/suites.h"

#include "properties/rc_run.h"

#include <algorithm>
#include <memory>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include "model/case/runner.h"
#include "model/linux/faults.h"
#include "properties/driver.h"
#include "properties/gen.h"

namespace unpop::props {
namespace {

// The failing case of the latest failing evaluation. RapidCheck shrinks by trying candidates
// and keeping those that still fail, so the last failing evaluation is the minimal case.
struct LastFailure {
  bool set = false;
  Case cs;
  std::string rule, message;
  std::size_t step = 0;
};
thread_local LastFailure g_last;

bool counts(const Finding& f, const std::set<std::string>& ignore) {
  return f.severity != Severity::warning && !ignore.count(f.rule);
}

// Mutant runs: is `f` (found in case `c`) also a finding of the unmutated model at that step?
bool original_has(const Case& c, const Finding& f, bool init) {
  Case orig = c;
  orig.mutant = Mutant::none;
  Runner r(orig);
  if (init) {
    for (const auto& g : r.init_findings())
      if (g.rule == f.rule) return true;
    return false;
  }
  for (const auto& rec : r.run(false))
    if (rec.index == f.step)
      for (const auto& g : rec.findings)
        if (g.rule == f.rule) return true;
  return false;
}

// A finding that fails the property: not ignored, and (mutant runs) caused by the mutant.
bool fails(const Case& c, const Finding& f, const RunConfig& cfg, bool init = false) {
  if (!counts(f, cfg.ignore)) return false;
  return !cfg.differential.count(f.rule) || !original_has(c, f, init);
}

[[noreturn]] void fail_with(const Case& c, const Finding& f) {
  g_last.set = true;
  g_last.cs = c;
  g_last.rule = f.rule;
  g_last.message = f.message;
  g_last.step = f.step;
  RC_FAIL(fmt::format("[{}] step {}: {}", f.rule, f.step, f.message));
  throw 0;  // not reached: RC_FAIL throws
}

Case base_case(const Setup& s, const std::string& variant, Mutant m) {
  Case c;
  c.preset = s.preset;
  c.layout = s.layout;
  c.variant = variant;
  c.page_size = s.page_size;
  c.mutant = m;
  c.origin = "check";
  return c;
}

// ---------------------------------------------------------------- stateful (rc::state)

struct RcModel {
  std::shared_ptr<const Setup> setup;
  int next_id = 0;
  std::map<int, bool> live;  // allocation id -> DMA path
};

struct Sut {
  Sut(const Case& base, const RunConfig& c) : driver(base), ignore(c.ignore), diff(c.differential) {
    if (!diff.empty()) {
      Case orig = base;
      orig.mutant = Mutant::none;
      twin = std::make_unique<Driver>(orig);
    }
  }
  Driver driver;
  const std::set<std::string>& ignore;
  const std::set<std::string>& diff;
  std::unique_ptr<Driver> twin;  // the unmutated model on the same ops (mutant runs)
  std::map<int, std::size_t> op_of;  // allocation id -> op index (successful ones)

  void exec(const Op& op) {
    // After an oops the kernel is dead: what follows (frees that never run, leaks at drain)
    // is a consequence of the kernel-bug finding, not a finding of its own.
    if (driver.model().kernel().oopsed()) return;
    std::vector<Finding> fs;
    try {
      fs = driver.step(op);
    } catch (const std::exception& e) {
      Finding f{"model-exception", Severity::violation, e.what(), {}, {}, {}, driver.size() - 1};
      fail_with(driver.the_case(), f);
    }
    std::set<std::string> twin_rules;
    if (twin && !twin->model().kernel().oopsed())
      for (const auto& f : twin->step(op)) twin_rules.insert(f.rule);
    for (const auto& f : fs)
      if (counts(f, ignore) && !(diff.count(f.rule) && twin_rules.count(f.rule))) fail_with(driver.the_case(), f);
  }
};

using Cmd = rc::state::Command<RcModel, Sut>;
using CmdPtr = std::shared_ptr<const Cmd>;

struct AllocCmd : Cmd {
  int id;
  std::uint64_t n;
  bool dma;
  unsigned mask;
  AllocCmd(int i, std::uint64_t nn, bool d, unsigned m) : id(i), n(nn), dma(d), mask(m) {}
  void checkPreconditions(const RcModel& m) const override { RC_PRE(!m.live.count(id)); }
  void apply(RcModel& m) const override {
    m.live[id] = dma;
    m.next_id = std::max(m.next_id, id + 1);
  }
  void run(const RcModel&, Sut& s) const override {
    Op op;
    op.kind = dma ? Op::Kind::dma_alloc : Op::Kind::alloc;
    op.nr = n;
    op.mask_bits = mask;
    s.exec(op);
    if (s.driver.last_ok() && !s.driver.pages_of(s.driver.size() - 1).empty()) s.op_of[id] = s.driver.size() - 1;
  }
  void show(std::ostream& os) const override { os << (dma ? "dma_alloc " : "alloc ") << n << (mask != 64 ? " mask=32" : ""); }
};

struct FreeCmd : Cmd {
  int id;
  bool dma;
  FreeCmd(int i, bool d) : id(i), dma(d) {}
  void checkPreconditions(const RcModel& m) const override {
    auto it = m.live.find(id);
    RC_PRE(it != m.live.end() && it->second == dma);
  }
  void apply(RcModel& m) const override { m.live.erase(id); }
  void run(const RcModel&, Sut& s) const override {
    auto it = s.op_of.find(id);
    if (it == s.op_of.end()) return;  // the allocation failed: nothing to give back
    Op op;
    op.kind = dma ? Op::Kind::dma_free : Op::Kind::free;
    op.ref = static_cast<int>(it->second);
    s.op_of.erase(it);
    s.exec(op);
  }
  void show(std::ostream& os) const override { os << (dma ? "dma_free of alloc " : "free of alloc ") << id; }
};

struct FailCmd : Cmd {
  FaultPoint point;
  unsigned nth;
  FailCmd(FaultPoint p, unsigned n) : point(p), nth(n) {}
  void run(const RcModel&, Sut& s) const override {
    Op op;
    op.kind = Op::Kind::fail;
    op.point = point;
    op.nth = nth;
    s.exec(op);
  }
  void show(std::ostream& os) const override { os << "fail " << to_string(point) << " " << nth; }
};

struct ClaimCmd : Cmd {
  Range range;
  bool ram;
  ClaimCmd(Range r, bool m) : range(r), ram(m) {}
  void run(const RcModel&, Sut& s) const override {
    Op op;
    op.kind = ram ? Op::Kind::hotplug : Op::Kind::claim;
    op.range = range;
    op.name = "driver-mmio";
    s.exec(op);
  }
  void show(std::ostream& os) const override { os << (ram ? "hotplug " : "claim ") << to_string(range); }
};

struct DrainCmd : Cmd {
  bool reverse;
  explicit DrainCmd(bool r) : reverse(r) {}
  void apply(RcModel& m) const override { m.live.clear(); }
  void run(const RcModel& m, Sut& s) const override {
    std::vector<int> ids;
    for (const auto& [id, dma] : m.live) ids.push_back(id);
    if (reverse) std::reverse(ids.begin(), ids.end());
    for (int id : ids) FreeCmd(id, m.live.at(id)).run(m, s);
    Op op;
    op.kind = Op::Kind::drain;
    s.exec(op);
  }
  void show(std::ostream& os) const override { os << "free everything" << (reverse ? " (newest first)" : "") << ", drain"; }
};

rc::Gen<CmdPtr> gen_command(const RcModel& m) {
  const std::uint64_t ps = m.setup->page_size;
  const Layout* layout = &m.setup->layout;
  Geometry g;
  Geometry::make(layout->arch, ps, g);
  const std::uint64_t sec = g.section_size();
  const int id = m.next_id;
  std::vector<std::pair<int, bool>> live(m.live.begin(), m.live.end());
  return rc::gen::exec([=]() -> CmdPtr {
    std::vector<std::uint32_t> w = {30, 16, live.empty() ? 0u : 34u, 10, 2, 2, 2};
    switch (pick_weighted(w)) {
      case 0: return std::make_shared<AllocCmd>(id, *genPages(ps), false, 64);
      case 1: {
        unsigned mask = pick_weighted({12, 1}) ? 32u : 64u;
        return std::make_shared<AllocCmd>(id, *genPages(ps), true, mask);
      }
      case 2: {
        auto [fid, dma] = choose(live);
        return std::make_shared<FreeCmd>(fid, dma);
      }
      case 3: {
        auto p = static_cast<FaultPoint>(pick(0, kFaultPoints - 1));
        return std::make_shared<FailCmd>(p, static_cast<unsigned>(pick(1, 3)));
      }
      case 4: return std::make_shared<ClaimCmd>(*genClaimRange(*layout, sec, false), false);
      case 5: return std::make_shared<ClaimCmd>(*genClaimRange(*layout, sec, true), true);
      default: return std::make_shared<DrainCmd>(coin());
    }
  });
}

}  // namespace

void stateful_property(const std::string& variant, const RunConfig& cfg, const SetupOptions& so) {
  auto setup = std::make_shared<const Setup>(*genSetup(so));
  Case base = base_case(*setup, variant, cfg.mutant);
  Sut sut(base, cfg);
  for (const auto& f : sut.driver.init_findings())
    if (fails(base, f, cfg, true)) fail_with(base, f);
  RcModel m0;
  m0.setup = setup;
  rc::state::check(m0, sut, [](const RcModel& m) { return gen_command(m); });
}

namespace {

// ---------------------------------------------------------------- race (two callers)

struct RaceOp {
  int kind = 0;           // 0 alloc, 1 dma_alloc, 2 free of a prefix allocation
  std::uint64_t n = 1;
  std::size_t target = 0; // free: which prefix op
};

rc::Gen<RaceOp> gen_race_op(std::uint64_t ps, std::size_t prefix, bool allow_free) {
  return rc::gen::exec([=] {
    RaceOp o;
    o.kind = static_cast<int>(pick_weighted({4, 5, allow_free && prefix ? 3u : 0u}));
    if (o.kind == 2)
      o.target = pick(0, prefix - 1);
    else
      o.n = *genPages(ps);
    return o;
  });
}

// The k-th (lexicographic) way to place `a` zeros among `a + b` slots.
std::vector<int> unrank(std::size_t a, std::size_t b, std::uint64_t k) {
  auto C = [](std::size_t n, std::size_t r) {
    std::uint64_t c = 1;
    for (std::size_t i = 1; i <= r; ++i) c = c * (n - r + i) / i;
    return c;
  };
  std::vector<int> out;
  while (a + b > 0) {
    std::uint64_t with0 = a ? C(a + b - 1, a - 1) : 0;
    if (a && k < with0) {
      out.push_back(0);
      --a;
    } else {
      k -= with0;
      out.push_back(1);
      --b;
    }
  }
  return out;
}

// Does a sequential order of the two branches (all of caller 0 then all of caller 1, or the
// reverse) already show `rule`? Then it is not a race: the stateful suite owns it.
bool sequential_order_shows(const Case& c, std::size_t prefix_steps, const std::size_t steps[2],
                            const std::string& rule) {
  for (int first : {0, 1}) {
    Case s = c;
    s.schedule.assign(prefix_steps, 0);
    s.schedule.insert(s.schedule.end(), steps[first], first);
    s.schedule.insert(s.schedule.end(), steps[1 - first], 1 - first);
    Runner r(s);
    for (const auto& rec : r.run(false))
      for (const auto& f : rec.findings)
        if (f.rule == rule) return true;
  }
  return false;
}

}  // namespace

void race_property(const std::string& variant, const RunConfig& cfg, const SetupOptions& so) {
  Setup s = *genSetup(so);
  const std::uint64_t ps = s.page_size;
  // Containers shrink by dropping elements (a count drawn first would reshuffle what follows).
  std::vector<RaceOp> prefix =
      *rc::gen::resize(3, rc::gen::container<std::vector<RaceOp>>(gen_race_op(ps, 0, false)));
  const std::size_t np = prefix.size();
  auto branch_gen = rc::gen::suchThat(rc::gen::resize(2, rc::gen::container<std::vector<RaceOp>>(gen_race_op(ps, 4, true))),
                                      [](const std::vector<RaceOp>& v) { return !v.empty(); });
  std::vector<RaceOp> branch[2] = {*branch_gen, *branch_gen};
  Case base = base_case(s, variant, cfg.mutant);
  // The prefix runs alone, as caller 0, to count its atomic steps. What it shows on its own is
  // sequential (the stateful suite's business); the interleavings below see it again and
  // sequential_order_shows() sets it aside.
  Driver d(base);
  std::size_t prefix_steps = 0;
  std::vector<bool> ok(np, false);
  for (std::size_t i = 0; i < np; ++i) {
    Op op;
    op.kind = prefix[i].kind == 1 ? Op::Kind::dma_alloc : Op::Kind::alloc;
    op.nr = prefix[i].n;
    prefix_steps += d.step_counting(op);
    ok[i] = d.last_ok();
  }
  Case full = d.the_case();
  std::vector<bool> freed(np, false);
  std::size_t steps[2] = {0, 0};
  for (int b = 0; b < 2; ++b)
    for (const RaceOp& r : branch[b]) {
      Op op;
      op.caller = b;
      if (r.kind == 2) {
        // Only what a caller really holds, once.
        if (r.target >= np || !ok[r.target] || freed[r.target]) continue;
        freed[r.target] = true;
        op.kind = prefix[r.target].kind == 1 ? Op::Kind::dma_free : Op::Kind::free;
        op.ref = static_cast<int>(r.target);
      } else {
        op.kind = r.kind == 1 ? Op::Kind::dma_alloc : Op::Kind::alloc;
        op.nr = r.n;
      }
      // An upper bound of atomic steps: only an unlocked DMA path (the RFC's) has more than one.
      steps[b] += op.kind == Op::Kind::dma_alloc ? variant_info(variant).traits.dma_alloc_steps : 1;
      full.ops.push_back(op);
    }
  RC_PRE(steps[0] > 0 && steps[1] > 0);
  // Ops are ordered prefix, caller 0's branch, caller 1's branch: refs stay earlier.
  std::stable_sort(full.ops.begin() + static_cast<long>(np), full.ops.end(),
                   [](const Op& a, const Op& b) { return a.caller < b.caller; });
  std::uint64_t total = 1;
  for (std::size_t i = 1; i <= steps[1]; ++i) total = total * (steps[0] + i) / i;
  const std::uint64_t cap = static_cast<std::uint64_t>(std::max(1, cfg.max_interleavings));
  const std::uint64_t n = std::min(total, cap);
  std::set<std::string> sequential;  // rules a sequential order shows (not races)
  for (std::uint64_t j = 0; j < n; ++j) {
    std::uint64_t k = total <= cap ? j : j * total / n;
    Case c = full;
    c.schedule.assign(prefix_steps, 0);
    for (int who : unrank(steps[0], steps[1], k)) c.schedule.push_back(who);
    Runner runner(c);
    for (const auto& rec : runner.run(true))
      for (const auto& f : rec.findings) {
        if (!fails(c, f, cfg) || sequential.count(f.rule)) continue;
        // A safety rule must hold in every interleaving. A liveness finding that a sequential
        // order shows too is the design, not a race (the stateful suite reports it).
        const RuleInfo* info = find_rule(f.rule);
        if (info && info->liveness() && sequential_order_shows(full, prefix_steps, steps, f.rule)) {
          sequential.insert(f.rule);
          continue;
        }
        fail_with(c, f);
      }
  }
}

namespace {

// ---------------------------------------------------------------- engine

class Progress : public rc::detail::TestListener {
 public:
  explicit Progress(const std::function<void(const std::string&)>& f) : f_(f) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    if (f_) f_("test");
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (f_) f_(accepted ? "shrink+" : "shrink");
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  const std::function<void(const std::string&)>& f_;
};

}  // namespace

std::vector<std::string> suite_names() { return {"stateful", "race"}; }

bool replay_shows(const Case& c, const std::string& rule, std::size_t* step) {
  if (rule == kReferenceRule || rule == "model-exception") {
    Driver d(c);
    for (std::size_t i = 0; i < c.ops.size(); ++i) {
      Op op = c.ops[i];
      for (const auto& f : d.step(op))
        if (f.rule == rule) {
          if (step) *step = i;
          return true;
        }
    }
    return false;
  }
  Runner r(c);
  for (const auto& f : r.init_findings())
    if (f.rule == rule) {
      if (step) *step = 0;
      return true;
    }
  for (const auto& rec : r.run(false))
    for (const auto& f : rec.findings)
      if (f.rule == rule) {
        if (step) *step = rec.index;
        return true;
      }
  return false;
}

std::string replay_rule(const Case& c, std::size_t* step) {
  Runner r(c);
  for (const auto& f : r.init_findings())
    if (f.severity != Severity::warning) return f.rule;
  for (const auto& rec : r.run(true))
    for (const auto& f : rec.findings)
      if (f.severity != Severity::warning) {
        if (step) *step = rec.index;
        return f.rule;
      }
  return "";
}

SuiteResult run_suite(const std::string& suite, const std::string& variant, const RunConfig& cfg) {
  SuiteResult out;
  SetupOptions so;
  so.page_size = cfg.page_size;
  so.given = cfg.layout;
  so.given_preset = cfg.preset;
  std::function<void()> prop;
  if (suite == "stateful")
    prop = [&] { stateful_property(variant, cfg, so); };
  else if (suite == "race")
    prop = [&] { race_property(variant, cfg, so); };
  else
    throw std::invalid_argument("unknown suite " + suite);

  std::string id = fmt::format("{}/{}/{}", suite, variant, to_string(cfg.mutant));
  for (const auto& r : cfg.ignore) id += "-" + r;
  if (!cfg.differential.empty()) id += "/differential";
  Progress listener(cfg.progress);
  g_last = LastFailure{};
  RcRun run = rc_run(id, cfg.seed, cfg.runs, cfg.max_size, prop, listener);
  const auto& res = run.result;
  const auto& params = run.params;
  rc::detail::SuccessResult sr;
  if (res.match(sr)) {
    out.tests = sr.numSuccess;
    return out;
  }
  rc::detail::FailureResult fr;
  rc::detail::GaveUpResult gr;
  rc::detail::Error er;
  bool is_failure = res.match(fr);
  if (res.match(gr)) out.error = "gave up: " + gr.description;
  if (res.match(er)) out.error = "error: " + er.description;
  if (!is_failure) return out;
  out.tests = fr.numSuccess + 1;
  if (!g_last.set) {
    out.error = "failed without a counterexample: " + fr.description;
    return out;
  }
  out.failed = true;
  Counterexample& cx = out.cex;
  cx.suite = suite;
  cx.variant = variant;
  cx.rule = g_last.rule;
  cx.message = g_last.message;
  cx.tests_before = fr.numSuccess;
  cx.cs = g_last.cs;
  cx.cs.seed = cfg.seed;
  rc::detail::Configuration conf;
  conf.testParams = params;
  conf.reproduce[id] = fr.reproduce;
  cx.cs.reproduce = rc::detail::configToMinimalString(conf);
  cx.cs.rule = cx.rule;
  cx.cs.failing_step = g_last.step;
  cx.cs.extra = nlohmann::json{{"suite", suite}, {"message", cx.message}, {"rapidcheck_test_id", id},
                               {"layout_kind", cx.cs.preset.empty() ? cx.cs.layout.source : "preset"}};
  if (!cfg.ignore.empty()) cx.cs.extra["ignored_rules"] = cfg.ignore;
  cx.ops = cx.cs.ops.size();
  std::size_t step = 0;
  try {
    cx.verified = replay_shows(cx.cs, cx.rule, &step);
  } catch (...) {
    cx.verified = false;
  }
  cx.cs.extra["verified_by_replay"] = cx.verified;
  return out;
}

VariantReport check_variant(const std::string& variant, const RunConfig& cfg0) {
  VariantReport rep;
  rep.variant = variant;
  // Each suite starts from the same ignore set, so a rule the race suite shows with two
  // callers gets its own counterexample even when the sequential suite found it first.
  for (const auto& suite : cfg0.suites.empty() ? suite_names() : cfg0.suites) {
    RunConfig cfg = cfg0;
    for (int round = 0; round < 16; ++round) {
      SuiteResult r = run_suite(suite, variant, cfg);
      rep.tests += r.tests;
      if (!r.error.empty()) rep.errors.push_back(suite + ": " + r.error);
      if (!r.failed) break;
      rep.all.push_back(r.cex);
      auto it = rep.findings.find(r.cex.rule);
      if (it == rep.findings.end() || (r.cex.verified && r.cex.ops < it->second.ops))
        rep.findings[r.cex.rule] = r.cex;
      cfg.ignore.insert(r.cex.rule);
    }
  }
  return rep;
}

std::set<std::string> expected_findings(const std::string& variant) {
  auto rules = by_design_rules(variant_info(variant));
  return {rules.begin(), rules.end()};
}

bool mutant_applies(Mutant m, const std::string& variant) { return unpop::mutant_applies(variant_info(variant), m); }

const char* equivalent_mutant(Mutant m, const std::string& variant) {
  return unpop::equivalent_mutant(variant_info(variant), m);
}

MutantKill run_mutant(Mutant m, const std::string& variant, RunConfig cfg) {
  MutantKill k;
  k.mutant = m;
  k.variant = variant;
  cfg.mutant = m;
  for (const auto& r : expected_findings(variant)) cfg.differential.insert(r);
  for (const auto& suite : cfg.suites.empty() ? suite_names() : cfg.suites) {
    SuiteResult r = run_suite(suite, variant, cfg);
    if (r.failed) {
      k.killed = true;
      k.cex = r.cex;
      return k;
    }
  }
  return k;
}

}  // namespace unpop::props
