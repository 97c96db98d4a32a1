#include "solver/prove.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "model/linux/mutants.h"
#include "solver/bmc.h"
#include "solver/inductive.h"
#include "solver/layout_checks.h"

namespace unpop::solver {

Layout tiny_layout(const std::string& which) {
  // One RAM bank, a UART, the grant table, and two extended regions of one 128 MiB section each
  // with an empty hole between them: the smallest world where a two-section growth cannot be
  // placed although two sections are free.
  Layout l;
  l.name = which;
  l.source = "solver built-in";
  l.arch = Arch::arm64;
  l.pa_bits = 48;
  l.va_bits = 48;
  l.ram = {{{0x40000000, 0x7fffffff}, "System RAM"}};
  l.mmio = {{{0x09000000, 0x09000fff}, "pl011@9000000"}};
  l.hypervisor_node = true;
  l.grant_table = Range{0x38000000, 0x3803ffff};
  l.ext_regions = {{0x80000000, 0x87ffffff}, {0x90000000, 0x97ffffff}};
  // "solver-one-section": a single one-section region (no fragmentation possible, so a lost
  // section shows as spurious ENOMEM that the unmutated code cannot have).
  if (which == "solver-one-section") l.ext_regions.pop_back();
  return l;
}

namespace {

// What the design says on the small layout: an Arm target of two one-section regions with an
// empty hole between them (fragmented space), one caller, requests of at most three sections
// (no RAM shortage), no iomem user at run time and no two adjacent free sections.
bool tiny_holds(const std::string& v, const std::string& rule) {
  return expectation(variant_info(v), rule, op_any, {Needs::arm_target, Needs::fragmented_space}, {}) == Expect::holds;
}

bool mutant_in_variant(const MutantInfo& m, const std::string& v) { return mutant_applies(variant_info(v), m.id); }

const VariantTraits& traits(const std::string& v) { return variant_info(v).traits; }

// The case a query starts from: a layout, a variant, its page size (the run's or the layout's),
// a mutant.
Case case_for(const ProveOptions& o, const ProveOptions::Target& t, const std::string& variant, Mutant m) {
  Case c;
  c.preset = t.preset;
  c.layout = t.layout;
  c.variant = variant;
  c.page_size = o.page_size ? o.page_size : t.layout.default_page_size;
  c.mutant = m;
  return c;
}

// Part 2 (genpool part of Inv) for the RFC's DMA pool and V1: any state whose chunks and held
// allocations satisfy Inv plus one operation through genpool keeps the page and count rules.
// One inductive step query: an arbitrary state satisfying Inv, not a run, so no replayable
// counterexample — a refutation is a counterexample to induction.
QueryResult inductive_query(Bmc& ind, const char* rule, int k, const char* part) {
  QueryResult q = ind.query(rule, k);
  q.group = "inductive";
  q.op = std::string(op_kind_name(k)) + " (" + part + ")";
  q.cex.reset();
  q.replayed.reset();
  if (q.verdict == Verdict::proved)
    q.detail = "Inv(s) and one operation (any request, any fault) imply the rule in s'" + moved_note(q);
  else if (q.verdict == Verdict::refuted)
    q.detail = "counterexample to induction (a state, not a run): " + q.detail;
  return q;
}

// The rough cost of a variant's BMC job on the default run, in seconds (measured; only the order
// matters): run relations cost most, then an unlocked second pool, then a genpool or the iomem
// target's wider world.
int bmc_weight(const std::string& v) {
  const VariantTraits& t = traits(v);
  if (t.pool == PoolKind::runs) return 12;
  if (t.dma == DmaSource::own_genpool) return 9;
  if (t.pool == PoolKind::genpool || t.target == GrowthTarget::iomem) return 5;
  return 2;
}

// A job: its rough cost in seconds on the default run (measured; only the order matters), the
// groups of its results (for the progress report) and what it runs.
struct Job {
  int weight;
  std::vector<std::string> groups;
  std::function<std::vector<QueryResult>()> run;
};

// Runs the jobs on as many threads as the machine has CPUs (one Z3 context each), heaviest
// first so the last to finish is a light one, and hands each job's results to `deliver` in
// job order as soon as it and the jobs before it are done. Not one thread per job: a dozen
// Z3 queries sharing two cores stretch every query's wall time towards its timeout.
void run_jobs(const std::vector<Job>& jobs, const std::function<void(std::size_t, std::vector<QueryResult>&)>& deliver) {
  std::vector<std::size_t> order(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return jobs[a].weight > jobs[b].weight; });
  std::vector<std::vector<QueryResult>> out(jobs.size());
  std::vector<char> done(jobs.size(), 0);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < order.size();) {
      auto res = jobs[order[i]].run();
      std::lock_guard<std::mutex> lock(mu);
      out[order[i]] = std::move(res);
      done[order[i]] = 1;
      cv.notify_one();
    }
  };
  const unsigned n = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), jobs.size()));
  std::vector<std::thread> pool;
  for (unsigned k = 0; k < n; ++k) pool.emplace_back(worker);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done[i] != 0; });
    lock.unlock();
    deliver(i, out[i]);
    out[i].clear();
  }
  for (auto& t : pool) t.join();
}

// A BMC of `base` with the run's limits, Z3 settings and replay.
BmcConfig bmc_config(const ProveOptions& o, const Case& base) {
  BmcConfig cfg;
  cfg.base = base;
  cfg.limits = o.limits;
  cfg.z3_seed = o.z3_seed;
  cfg.arith_solver = o.arith_solver;
  cfg.replay = o.replay;
  return cfg;
}

// One inductive step (depth 1 from an assumed state), no replay: a refutation is a state.
BmcConfig inductive_config(const ProveOptions& o, const Case& base, bool genpool) {
  BmcConfig cfg = bmc_config(o, base);
  cfg.depth = 1;
  cfg.replay = false;
  cfg.inductive = true;
  cfg.inductive_genpool = genpool;
  return cfg;
}

std::vector<QueryResult> inductive_genpool(const ProveOptions& o, const Case& base) {
  std::vector<QueryResult> out;
  const VariantInfo& info = variant_info(base.variant);
  Bmc ind(inductive_config(o, base, true));
  // A DMA genpool of its own serves only the DMA operations; a genpool for everything, all.
  std::vector<int> kinds = info.traits.dma == DmaSource::own_genpool ? std::vector<int>{k_dma_alloc, k_dma_free}
                                                                       : std::vector<int>{k_alloc, k_free, k_dma_alloc, k_dma_free};
  const std::vector<Needs> arm = base.layout.arch == Arch::arm64 ? std::vector<Needs>{Needs::arm_target} : std::vector<Needs>{};
  for (const auto& rule : rules_of({RuleKind::safety, RuleKind::conformance})) {
    // The genpool encoding does not decide not-in-pool: its pages come from chunks, which are
    // growths of the pool by construction.
    if (rule == "not-in-pool" || !unpop::rule_applies(info, *find_rule(rule))) continue;
    for (int k : kinds) {
      if (!rule_applies(rule, k)) continue;
      QueryResult q = inductive_query(ind, rule.c_str(), k, "genpool");
      // A by-design break in any state (the RFC's tmp_res slip) is a BMC finding, not an
      // induction gap: refuted as the design says.
      bool breaks = expectation(info, rule, op_bits(k), arm, {}) == Expect::breaks;
      q.expected_ok = breaks ? q.verdict == Verdict::refuted : q.verdict == Verdict::proved;
      out.push_back(q);
    }
  }
  return out;
}

// One mutant: the first query that refutes it (universal layout queries first, then the
// BMC of each variant it exists in, on the preset and the small layouts) while the unmutated
// code proves the same rule on the same layout and bound.
QueryResult mutant_job(const ProveOptions& o, const MutantInfo& mi, const ProveOptions::Target& preset) {
  std::optional<QueryResult> hit;
  for (auto& q : universal_checks(4096, mi.id, o.limits, o.replay))
    if (!hit && q.verdict == Verdict::refuted) hit = q;
  for (const auto& v : o.variants) {
    if (hit) break;
    // Run-based pools are checked to --proposed-depth only (deeper BMC queries time out there).
    if (!mutant_in_variant(mi, v) || traits(v).pool == PoolKind::runs) continue;
    for (const auto& t : {preset, ProveOptions::Target{"", tiny_layout("solver-tiny")},
                          ProveOptions::Target{"", tiny_layout("solver-one-section")}}) {
      if (hit) break;
      BmcConfig cfg = bmc_config(o, case_for(o, t, v, mi.id));
      cfg.depth = std::min(o.depth, 4);
      Bmc bmc(cfg);
      BmcConfig base_cfg = cfg;
      base_cfg.base.mutant = Mutant::none;
      base_cfg.replay = false;
      Bmc baseline(base_cfg);
      for (const auto& rule : bmc_rules()) {
        QueryResult q = bmc.query(rule, -1);
        if (q.verdict != Verdict::refuted || (q.replayed && !*q.replayed)) continue;
        QueryResult b = baseline.query(rule, -1);
        if (b.verdict != Verdict::proved) continue;
        q.detail += fmt::format("; unmutated: {} in {:.3f}s", to_string(b.verdict), b.seconds);
        q.seconds += b.seconds;
        hit = q;
        break;
      }
    }
  }
  QueryResult q;
  if (hit) {
    q = *hit;
  } else {
    q.rule = "(any)";
    q.op = "any";
    q.verdict = Verdict::unknown;
    q.expected_ok = false;
    q.detail = "no query refuted it within the bounds";
  }
  q.group = "mutant";
  q.mutant = mi.name;
  return q;
}

// BMC of one variant on one layout, rule x operation. One query per rule over every operation
// first; only a refuted rule is asked again per operation (for the table and the shortest
// counterexample of each column). The RFC adds the two-caller race.
std::vector<QueryResult> bmc_job(const ProveOptions& o, const ProveOptions::Target& t, const std::string& v, const Case& base) {
  std::vector<QueryResult> res;
  BmcConfig cfg = bmc_config(o, base);
  cfg.depth = traits(v).pool == PoolKind::runs ? std::min(o.depth, o.proposed_depth) : o.depth;
  Bmc bmc(cfg);
  const bool dma_only_ram = traits(v).dma == DmaSource::cma_ram;
  for (const auto& rule : bmc_rules()) {
    QueryResult any = bmc.query(rule, -1);
    const RuleInfo& info = *find_rule(rule);
    for (int k = 0; k < k_count; ++k) {
      if (!rule_applies(rule, k)) continue;
      // A DMA path of CMA RAM hands out no pool page: only the RAM taken and the counts can
      // break there.
      if (dma_only_ram && (k == k_dma_alloc || k == k_dma_free) && !(info.concerns & (c_ram_taken | c_counts)))
        continue;
      if (any.verdict != Verdict::refuted) {
        QueryResult q = any;
        q.op = op_kind_name(k);
        if (q.verdict == Verdict::proved)
          q.expected_ok = info.liveness() || design_expectation(v, rule, k, t.layout) != Expect::breaks;
        q.detail += " (one query over every operation)";
        res.push_back(q);
        any.seconds = 0;  // the time is counted once
      } else {
        res.push_back(bmc.query(rule, k));
      }
    }
  }
  if (traits(v).unlocked_dma && o.race_depth > 0) {
    BmcConfig c2 = cfg;
    c2.two_callers = true;
    c2.depth = o.race_depth;
    Bmc race(c2);
    for (const char* rule : {"spurious-enomem", "double-alloc"}) res.push_back(race.query(rule));
  }
  return res;
}

// Misbehaving callers: the caller rules (and, where genpool takes frees, its BUG()). Small
// requests (one section) are enough to misuse an allocation and keep proposed's run
// relations small.
std::vector<QueryResult> misuse_job(const ProveOptions& o, const std::string& v, const Case& base) {
  std::vector<QueryResult> res;
  BmcConfig mc = bmc_config(o, base);
  mc.misuse = true;
  mc.depth = std::min(o.depth, 3);
  mc.max_nr = case_geometry(mc.base).pages_per_section();
  Bmc misuse(mc);
  std::vector<std::string> rules = misuse_rules();
  // Where genpool takes a free, a bad one BUG()s: asked as kernel-bug on the bad free.
  if (genpool_frees(variant_info(v), true) || genpool_frees(variant_info(v), false)) rules.push_back("kernel-bug");
  for (const auto& rule : rules) {
    QueryResult q = misuse.query(rule, -1);
    q.group = "bmc-misuse";
    res.push_back(q);
  }
  return res;
}

// Part 2 (page and count part of Inv) for the list allocators: any state satisfying Inv plus
// one alloc (with fill and any fault) or one free keeps the page and count rules.
std::vector<QueryResult> inductive_list(const ProveOptions& o, const Case& base) {
  std::vector<QueryResult> res;
  Bmc ind(inductive_config(o, base, false));
  for (const auto& rule : rules_of({RuleKind::safety, RuleKind::conformance}))
    for (int k : {k_alloc, k_free}) {
      if (!rule_applies(rule, k)) continue;
      QueryResult q = inductive_query(ind, rule.c_str(), k, "list");
      q.expected_ok = q.verdict == Verdict::proved;
      res.push_back(q);
    }
  return res;
}

// Design limits on the small built-in layout: fragmentation and fault paths.
std::vector<QueryResult> tiny_job(const ProveOptions& o, const std::string& v, Case base) {
  std::vector<QueryResult> res;
  base.page_size = 4096;
  BmcConfig cfg = bmc_config(o, base);
  cfg.depth = std::min(o.depth, traits(v).pool == PoolKind::runs ? o.proposed_depth : 3);
  Bmc bmc(cfg);
  // The liveness rules and kernel-bug (the fault paths) are what a small layout shows.
  std::vector<std::string> rules = rules_of({RuleKind::liveness});
  rules.push_back("kernel-bug");
  for (const auto& rule : rules) {
    QueryResult q = bmc.query(rule);
    q.group = "bmc-tiny";
    q.expected_ok = q.verdict != Verdict::unknown && (q.verdict == Verdict::proved) == tiny_holds(v, rule);
    res.push_back(q);
  }
  return res;
}

// The jobs of a run, in the order their results come out.
struct Plan {
  const ProveOptions& o;
  std::vector<Job> jobs;

  void many(std::vector<std::string> groups, int w, std::function<std::vector<QueryResult>()> f) {
    jobs.push_back({w, std::move(groups), std::move(f)});
  }

  // Part 1: the layouts, and every layout Xen can emit.
  void layouts() {
    if (o.layout_checks)
      for (const auto& t : o.layouts)
        many({"layout"}, 1, [this, &t]() {
          std::vector<std::uint64_t> ps = {4096};
          if (t.layout.arch == Arch::arm64) ps = {4096, 16384, 65536};
          return layout_checks(t.layout, t.preset.empty() ? t.layout.name : t.preset, ps, o.limits);
        });
    if (!o.universal) return;
    for (std::uint64_t ps : {4096ull, 65536ull})
      many({"universal"}, 1, [this, ps]() { return universal_checks(ps, Mutant::none, o.limits, o.replay); });
    for (std::uint64_t ps : {4096ull, 65536ull})
      many({"universal"}, 2, [this, ps]() { return universal_later_growth(ps, Mutant::none, o.limits); });
    many({"universal"}, 1, [this]() { return never_usable(o.limits); });
    many({"wrap"}, 1, [this]() { return wrap_checks(o.limits); });
  }

  // Part 2 (growth part of Inv, list part): inductive steps per variant and layout, and the
  // growth mutants against the same step (the unmutated Inv, the mutated growth).
  void inductive() {
    for (const auto& t : o.layouts)
      for (const auto& v : o.variants)
        many({"inductive"}, 1, [this, &t, v]() { return inductive_growth(case_for(o, t, v, Mutant::none), o.limits); });
    for (const auto& t : o.layouts)
      for (const auto& v : o.variants)
        if (traits(v).pool == PoolKind::lifo_list)
          many({"inductive"}, 2, [this, &t, v]() { return inductive_list(o, case_for(o, t, v, Mutant::none)); });
    if (!o.mutants || o.layouts.empty()) return;
    for (Mutant m : {Mutant::range_end_off_by_one, Mutant::no_section_align, Mutant::overlapping_growth, Mutant::no_holes})
      many({"inductive"}, 1, [this, m]() {
        std::vector<QueryResult> res;
        for (auto& q : inductive_growth(case_for(o, o.layouts.front(), default_variant(), m), o.limits))
          if (q.verdict != Verdict::proved) res.push_back(q);
        return res;
      });
  }

  // Parts 2-3: each variant on each layout (BMC, its genpool inductive step, its misuse
  // queries), then on the small layout.
  void variants() {
    for (const auto& t : o.layouts) {
      for (const auto& v : o.variants)
        many({"bmc", "bmc-2"}, bmc_weight(v), [this, &t, v]() { return bmc_job(o, t, v, case_for(o, t, v, Mutant::none)); });
      for (const auto& v : o.variants)
        if (traits(v).pool == PoolKind::genpool || traits(v).dma == DmaSource::own_genpool)
          many({"inductive"}, traits(v).pool == PoolKind::genpool ? 8 : 3,
               [this, &t, v]() { return inductive_genpool(o, case_for(o, t, v, Mutant::none)); });
      for (const auto& v : o.variants)
        many({"bmc-misuse"}, traits(v).pool == PoolKind::runs ? 8 : 1,
             [this, &t, v]() { return misuse_job(o, v, case_for(o, t, v, Mutant::none)); });
    }
    ProveOptions::Target tiny{"", tiny_layout("solver-tiny")};
    for (const auto& v : o.variants)
      many({"bmc-tiny"}, traits(v).pool == PoolKind::runs ? 2 : 1,
           [this, v, tiny]() { return tiny_job(o, v, case_for(o, tiny, v, Mutant::none)); });
  }

  // Every mutant must be refuted by at least one query.
  void mutants(const ProveOptions::Target& base_target) {
    for (const auto& mi : mutant_table())
      if (mi.id != Mutant::none && (!o.only_mutant || *o.only_mutant == mi.id))
        many({"mutant"}, mi.id == Mutant::dma_free_to_list ? 5 : 1,
             [this, &mi, base_target]() { return std::vector<QueryResult>{mutant_job(o, mi, base_target)}; });
  }
};

// Counts each group's results and reports a group when its last job is delivered.
class GroupTally {
 public:
  GroupTally(const std::vector<Job>& jobs, const ProveOptions& o) : o_(o), t0_(std::chrono::steady_clock::now()) {
    for (const auto& j : jobs)
      for (const auto& g : j.groups) ++left_[g];
  }
  void delivered(const Job& job, const std::vector<QueryResult>& res) {
    for (const auto& q : res) {
      GroupDone& g = done_[q.group];
      ++g.queries;
      g.proved += q.verdict == Verdict::proved;
      g.refuted += q.verdict == Verdict::refuted;
      g.unknown += q.verdict == Verdict::unknown;
    }
    for (const auto& name : job.groups) {
      if (--left_[name] > 0) continue;
      GroupDone g = done_[name];
      g.group = name;
      g.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
      if (g.queries > 0 && o_.group_done) o_.group_done(g);
    }
  }

 private:
  const ProveOptions& o_;
  std::chrono::steady_clock::time_point t0_;
  std::map<std::string, int> left_;
  std::map<std::string, GroupDone> done_;
};

}  // namespace

// Every query is a job; the jobs run on a pool of one thread per CPU and their results come
// out in the order below: layouts, all-layout queries, inductive steps, BMC, small layout,
// mutants.
std::vector<QueryResult> prove(const ProveOptions& o) {
  Plan plan{o, {}};
  plan.layouts();
  if (o.bmc) {
    plan.inductive();
    plan.variants();
  }
  if (o.mutants)
    plan.mutants(o.layouts.empty() ? ProveOptions::Target{"qemu-virt-dom0", load_preset("qemu-virt-dom0")}
                                   : o.layouts.front());
  GroupTally tally(plan.jobs, o);
  std::vector<QueryResult> out;
  run_jobs(plan.jobs, [&](std::size_t i, std::vector<QueryResult>& res) {
    tally.delivered(plan.jobs[i], res);
    for (auto& q : res) {
      if (o.progress) o.progress(q);
      out.push_back(std::move(q));
    }
  });
  return out;
}

}  // namespace unpop::solver
