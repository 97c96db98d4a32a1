#include "solver/prove.h"

#include <atomic>
#include <functional>
#include <thread>

#include <chrono>
#include <sstream>

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

// What the design says on the small layout (two one-section regions, an empty hole).
bool tiny_holds(const std::string& v, const std::string& rule) {
  if (rule == "spurious-enomem") return v == "proposed" || v == "x86";  // x86: the whole iomem is its target
  // Upstream and x86 take CMA RAM for DMA. V1 falls back to it only when fill_pool fails, and
  // here that needs a fault (two sections are never contiguous), which makes the fallback the
  // designed answer (Checker::allocated).
  if (rule == "ram-stolen") return v == "rfc" || v == "proposed" || v == "v1";
  if (rule == "kernel-bug") return v != "rfc";                  // the RFC's `if (!res)` slip
  return true;
}

bool mutant_in_variant(const MutantInfo& m, const std::string& v) {
  std::string where = m.variants;
  if (where.rfind("all", 0) == 0) return true;
  std::istringstream in(where);
  for (std::string w; in >> w;)
    if (w == v) return true;
  return false;
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
    q.detail = "Inv(s) and one operation (any request, any fault) imply the rule in s'";
  else if (q.verdict == Verdict::refuted)
    q.detail = "counterexample to induction (a state, not a run): " + q.detail;
  return q;
}

// A job and a rough cost class (measured: proposed's BMC and misuse jobs, the genpool
// variants' BMC and V1's inductive step take 25-35 s each on the default run; the others a few).
struct Job {
  int weight;
  std::function<std::vector<QueryResult>()> run;
};

// Runs the jobs on as many threads as the machine has CPUs (one Z3 context each), heaviest
// first so the last to finish is a light one; results in job order. Not one thread per job: a
// dozen Z3 queries sharing two cores stretch every query's wall time towards its timeout.
std::vector<std::vector<QueryResult>> run_jobs(const std::vector<Job>& jobs) {
  std::vector<std::size_t> order(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return jobs[a].weight > jobs[b].weight; });
  std::vector<std::vector<QueryResult>> out(jobs.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < order.size();) out[order[i]] = jobs[order[i]].run();
  };
  const unsigned n = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), jobs.size()));
  std::vector<std::thread> pool;
  for (unsigned k = 1; k < n; ++k) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return out;
}

std::vector<QueryResult> inductive_genpool(const Case& base, unsigned timeout_ms) {
  std::vector<QueryResult> out;
  const std::string& v = base.variant;
  BmcConfig cfg;
  cfg.base = base;
  cfg.depth = 1;
  cfg.timeout_ms = timeout_ms;
  cfg.replay = false;
  cfg.inductive = true;
  cfg.inductive_genpool = true;
  Bmc ind(cfg);
  std::vector<int> kinds = v == "rfc" ? std::vector<int>{k_dma_alloc, k_dma_free}
                                      : std::vector<int>{k_alloc, k_free, k_dma_alloc, k_dma_free};
  for (const char* rule : {"double-alloc", "count-mismatch", "not-contiguous", "kernel-bug"})
    for (int k : kinds) {
      if (!rule_applies(rule, k)) continue;
      QueryResult q = inductive_query(ind, rule, k, "genpool");
      // The RFC's tmp_res slip oopses in any state (a BMC finding, not an induction gap).
      bool slip = v == "rfc" && std::string(rule) == "kernel-bug" && k == k_dma_alloc && base.layout.arch == Arch::arm64;
      q.expected_ok = slip ? q.verdict == Verdict::refuted : q.verdict == Verdict::proved;
      out.push_back(q);
    }
  return out;
}

}  // namespace

std::vector<QueryResult> prove(const ProveOptions& o) {
  std::vector<QueryResult> out;
  auto emit = [&](QueryResult q) {
    if (o.progress) o.progress(q);
    out.push_back(std::move(q));
  };
  auto case_for = [&](const ProveOptions::Target& t, const std::string& variant, Mutant m) {
    Case c;
    c.preset = t.preset;
    c.layout = t.layout;
    c.variant = variant;
    c.page_size = o.page_size ? o.page_size : t.layout.default_page_size;
    c.mutant = m;
    return c;
  };
  // Part 1: the layouts.
  if (o.layout_checks)
    for (const auto& t : o.layouts) {
      std::vector<std::uint64_t> ps = {4096};
      if (t.layout.arch == Arch::arm64) ps = {4096, 16384, 65536};
      for (auto& q : layout_checks(t.layout, t.preset.empty() ? t.layout.name : t.preset, ps, o.timeout_ms)) emit(q);
    }
  if (o.universal) {
    for (std::uint64_t ps : {4096ull, 65536ull})
      for (auto& q : universal_checks(ps, Mutant::none, o.timeout_ms, o.replay)) emit(q);
    for (auto& q : never_usable(o.timeout_ms)) emit(q);
    for (auto& q : wrap_checks(o.timeout_ms)) emit(q);
  }
  // Part 2 (growth part of Inv): inductive step per variant and layout.
  if (o.bmc)
    for (const auto& t : o.layouts)
      for (const auto& v : o.variants) {
        for (auto& q : inductive_growth(case_for(t, v, Mutant::none), o.timeout_ms)) emit(q);
      }
  // Part 2 (page and count part of Inv) for the list allocators: any state satisfying Inv plus
  // one alloc (with fill and any fault) or one free keeps the page and count rules.
  if (o.bmc)
    for (const auto& t : o.layouts)
      for (const auto& v : o.variants) {
        if (v != "upstream" && v != "x86" && v != "rfc") continue;
        BmcConfig cfg;
        cfg.base = case_for(t, v, Mutant::none);
        cfg.depth = 1;
        cfg.timeout_ms = o.timeout_ms;
        cfg.replay = false;
        cfg.inductive = true;
        Bmc ind(cfg);
        for (const char* rule : {"not-in-pool", "double-alloc", "count-mismatch", "order-mismatch", "kernel-bug"})
          for (int k : {k_alloc, k_free}) {
            if (!rule_applies(rule, k)) continue;
            QueryResult q = inductive_query(ind, rule, k, "list");
            q.expected_ok = q.verdict == Verdict::proved;
            emit(q);
          }
      }
  // The growth mutants against the same inductive step (the unmutated Inv, the mutated growth).
  if (o.bmc && o.mutants && !o.layouts.empty())
    for (Mutant m : {Mutant::range_end_off_by_one, Mutant::no_section_align, Mutant::overlapping_growth, Mutant::no_holes})
      for (auto& q : inductive_growth(case_for(o.layouts.front(), "upstream", m), o.timeout_ms))
        if (q.verdict != Verdict::proved) emit(q);
  // Parts 2-3: each variant on each layout, rule x operation. One query per rule over every
  // operation first; only a refuted rule is asked again per operation (for the table and the
  // shortest counterexample of each column). Variants run in parallel (one Z3 context each).
  if (o.bmc)
    for (const auto& t : o.layouts) {
      std::vector<Job> jobs;
      auto heavy = [](const std::string& v) { return v == "proposed" || v == "rfc" || v == "v1" ? 3 : v == "x86" ? 2 : 1; };
      for (const auto& v : o.variants)
        jobs.push_back({heavy(v), [&, v]() {
          std::vector<QueryResult> res;
          BmcConfig cfg;
          cfg.base = case_for(t, v, Mutant::none);
          cfg.depth = v == "proposed" ? std::min(o.depth, o.proposed_depth) : o.depth;
          cfg.timeout_ms = o.timeout_ms;
          cfg.replay = o.replay;
          Bmc bmc(cfg);
          for (const auto& rule : bmc_rules()) {
            QueryResult any = bmc.query(rule, -1);
            bool dma_only_ram = v == "upstream" || v == "x86";
            for (int k = 0; k < k_count; ++k) {
              if (!rule_applies(rule, k)) continue;
              if (dma_only_ram && (k == k_dma_alloc || k == k_dma_free) && rule != "ram-stolen" && rule != "count-mismatch")
                continue;  // their DMA path is CMA RAM: no pool rule can break there
              if (any.verdict != Verdict::refuted) {
                QueryResult q = any;
                q.op = op_kind_name(k);
                if (q.verdict == Verdict::proved)
                  q.expected_ok = q.rule == "spurious-enomem" || q.rule == "ram-stolen" ||
                                  (v == "x86" && rule == "device-overlap") || holds_by_design(v, rule, k) ||
                                  (rule == "kernel-bug" && t.layout.arch == Arch::x86_64);
                q.detail += " (one query over every operation)";
                res.push_back(q);
                any.seconds = 0;  // the time is counted once
              } else {
                res.push_back(bmc.query(rule, k));
              }
            }
          }
          if (v == "rfc" && o.race_depth > 0) {
            BmcConfig c2 = cfg;
            c2.two_callers = true;
            c2.depth = o.race_depth;
            Bmc race(c2);
            for (const char* rule : {"spurious-enomem", "double-alloc"}) res.push_back(race.query(rule));
          }
          return res;
        }});
      for (const auto& v : o.variants)
        if (v == "rfc" || v == "v1")
          jobs.push_back({v == "v1" ? 3 : 2, [&, v]() { return inductive_genpool(case_for(t, v, Mutant::none), o.timeout_ms); }});
      // Misbehaving callers: the caller rules, one job per variant beside the others. Small
      // requests (one section) are enough to misuse an allocation and keep proposed's run
      // relations small.
      for (const auto& v : o.variants)
        jobs.push_back({v == "proposed" ? 3 : 1, [&, v]() {
          std::vector<QueryResult> res;
          BmcConfig mc;
          mc.base = case_for(t, v, Mutant::none);
          mc.misuse = true;
          mc.depth = std::min(o.depth, 3);
          mc.max_nr = case_geometry(mc.base).pages_per_section();
          mc.timeout_ms = o.timeout_ms;
          mc.replay = o.replay;
          Bmc misuse(mc);
          // Where genpool takes frees (RFC DMA, V1) a bad free BUG()s: asked as kernel-bug.
          std::vector<std::string> rules = misuse_rules();
          if (v == "rfc" || v == "v1") rules.push_back("kernel-bug");
          for (const auto& rule : rules) {
            QueryResult q = misuse.query(rule, -1);
            q.group = "bmc-misuse";
            res.push_back(q);
          }
          return res;
        }});
      for (auto& res : run_jobs(jobs))
        for (auto& q : res) emit(q);
    }
  // Design limits on the small built-in layout: fragmentation and fault paths.
  if (o.bmc) {
    ProveOptions::Target tiny{"", tiny_layout("solver-tiny")};
    for (const auto& v : o.variants) {
      BmcConfig cfg;
      cfg.base = case_for(tiny, v, Mutant::none);
      cfg.base.page_size = 4096;
      cfg.depth = std::min(o.depth, v == "proposed" ? o.proposed_depth : 3);
      cfg.timeout_ms = o.timeout_ms;
      cfg.replay = o.replay;
      Bmc bmc(cfg);
      for (const char* rule : {"spurious-enomem", "ram-stolen", "kernel-bug"}) {
        QueryResult q = bmc.query(rule);
        q.group = "bmc-tiny";
        q.expected_ok = q.verdict != Verdict::unknown && (q.verdict == Verdict::proved) == tiny_holds(v, rule);
        emit(q);
      }
    }
  }
  // Every mutant must be refuted by at least one query.
  if (o.mutants) {
    const Layout base = o.layouts.empty() ? load_preset("qemu-virt-dom0") : o.layouts.front().layout;
    const std::string base_preset = o.layouts.empty() ? "qemu-virt-dom0" : o.layouts.front().preset;
    for (const auto& mi : mutant_table()) {
      if (mi.id == Mutant::none) continue;
      std::optional<QueryResult> hit;
      // The universal layout queries first (they catch placement mutants on every layout).
      for (auto& q : universal_checks(4096, mi.id, o.timeout_ms, o.replay))
        if (!hit && q.verdict == Verdict::refuted) hit = q;
      for (const auto& v : o.variants) {
        if (hit) break;
        if (!mutant_in_variant(mi, v) || v == "proposed") continue;
        for (const auto& t : {ProveOptions::Target{base_preset, base}, ProveOptions::Target{"", tiny_layout("solver-tiny")},
                              ProveOptions::Target{"", tiny_layout("solver-one-section")}}) {
          if (hit) break;
          BmcConfig cfg;
          cfg.base = case_for(t, v, mi.id);
          cfg.depth = std::min(o.depth, 4);
          cfg.timeout_ms = o.timeout_ms;
          cfg.replay = o.replay;
          Bmc bmc(cfg);
          BmcConfig base_cfg = cfg;
          base_cfg.base.mutant = Mutant::none;
          base_cfg.replay = false;
          Bmc baseline(base_cfg);
          // A mutant is refuted by a rule the unmutated code proves on the same layout and bound.
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
      if (hit) {
        hit->group = "mutant";
        hit->mutant = mi.name;
        emit(*hit);
      } else {
        QueryResult q;
        q.group = "mutant";
        q.mutant = mi.name;
        q.rule = "(any)";
        q.op = "any";
        q.verdict = Verdict::unknown;
        q.expected_ok = false;
        q.detail = "no query refuted it within the bounds";
        emit(q);
      }
    }
  }
  return out;
}

}  // namespace unpop::solver
