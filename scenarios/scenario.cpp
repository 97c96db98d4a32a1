#include "scenarios/scenario.h"

#include <chrono>
#include <optional>

#include <fmt/format.h>

#include "model/case/runner.h"
#include "model/invariants/checker.h"
#include "model/model.h"

namespace unpop::scen {
namespace {

// Tallies the checker's findings into the counters (and keeps the first violation texts).
void absorb(Counters& c, std::vector<std::string>& texts, const std::vector<Finding>& fs) {
  for (const auto& f : fs) {
    ++c.by_rule[f.rule];
    if (f.severity == Severity::violation) {
      ++c.violations;
      if (texts.size() < 3) texts.push_back(f.text());
    } else if (f.severity == Severity::liveness) {
      ++c.liveness;
    }
  }
}

Sample sample(double t, const Counters& c) {
  return {t,
          c.ram_pages_now,
          c.cma_pages_now,
          c.pool_pages,
          c.pool_live_now,
          c.p2m_2m_broken,
          c.p2m_1g_broken,
          c.hypercalls(),
          c.alloc_failures,
          c.growths};
}

}  // namespace

RunResult run_workload(const Workload& w, const Layout& layout, const Geometry& geo,
                       const std::string& variant, bool series, Mutant mutant) {
  auto t0 = std::chrono::steady_clock::now();
  RunResult r;
  r.scenario = w.name;
  r.variant = variant;
  r.layout = layout.name;
  r.page_size = geo.page_size();
  r.events = w.events.size();
  r.duration = w.duration;

  Checker checker(layout, geo, checker_options(variant));
  Metrics metrics(layout, geo);
  Tee tee({&checker, &metrics});
  absorb(metrics.counters(), r.violations, checker.layout_findings());
  Model model(ModelConfig{layout, geo, variant, mutant}, &tee);
  r.init_ret = model.init_ret();
  absorb(metrics.counters(), r.violations, checker.take());

  struct Held {
    PageSeq pages;
    bool dma = false;
  };
  std::vector<std::optional<Held>> held(static_cast<std::size_t>(w.handles));
  bool idle_taken = false;
  if (series) r.series.push_back(sample(0, metrics.counters()));
  for (std::size_t i = 0; i < w.events.size(); ++i) {
    const Event& e = w.events[i];
    if (e.teardown && !idle_taken) {
      auto& mc = metrics.counters();
      mc.idle_end = mc.pool_pages - mc.pool_live_now;
      idle_taken = true;
    }
    checker.set_step(i);
    Call call;
    call.owner = e.owner;
    if (e.kind == Event::Kind::free) {
      auto& h = held[e.handle];
      if (!h) continue;  // its allocation failed: nothing to give back
      call.kind = h->dma ? Call::Kind::dma_free : Call::Kind::free;
      call.pages = std::move(h->pages);
      h.reset();
      model.run(call);
    } else {
      bool dma = e.kind == Event::Kind::dma_alloc;
      call.kind = dma ? Call::Kind::dma_alloc : Call::Kind::alloc;
      call.nr = e.nr;
      OpResult res = model.run(call);
      if (res.ret == 0) held[e.handle] = Held{std::move(res.pages), dma};
    }
    absorb(metrics.counters(), r.violations, checker.take());
    if (model.kernel().oopsed()) {
      r.oopsed = true;
      r.violations.push_back(fmt::format("kernel oopsed at event {} ({})", i, e.owner));
      break;
    }
    if (series && !e.teardown) {
      Sample s = sample(e.t, metrics.counters());
      if (r.series.back().t == e.t)
        r.series.back() = s;
      else
        r.series.push_back(s);
    }
  }
  if (!idle_taken) {
    auto& mc = metrics.counters();
    mc.idle_end = mc.pool_pages - mc.pool_live_now;
  }
  if (!r.oopsed) {
    checker.drained();
    absorb(metrics.counters(), r.violations, checker.take());
  }
  r.c = metrics.counters();
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::vector<std::string> default_presets() {
  return {"qemu-virt-dom0", "xen-domu", "x86-pvh-dom0", "server-dom0"};
}

std::vector<std::uint64_t> page_sizes(Arch a) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t p : {4096ull, 16384ull, 65536ull}) {
    Geometry g;
    if (Geometry::make(a, p, g)) out.push_back(p);
  }
  return out;
}

nlohmann::json to_json(const RunResult& r) {
  const Counters& c = r.c;
  const double mib = static_cast<double>(r.page_size) / (1 << 20);
  nlohmann::json j = {
      {"scenario", r.scenario},
      {"variant", r.variant},
      {"layout", r.layout},
      {"page_size", r.page_size},
      {"seed", r.seed},
      {"init_ret", r.init_ret},
      {"events", r.events},
      {"duration_s", r.duration},
      {"ram_pages_peak", c.ram_pages_peak},
      {"ram_mib_peak", c.ram_pages_peak * mib},
      {"ram_pages_total", c.ram_pages_total},
      {"cma_bytes_peak", c.cma_pages_peak * r.page_size},
      {"p2m_2m_broken", c.p2m_2m_broken},
      {"p2m_2m_blocks", c.p2m_2m_blocks},
      {"p2m_1g_broken", c.p2m_1g_broken},
      {"p2m_1g_blocks", c.p2m_1g_blocks},
      {"hypercalls_decrease", c.hc_decrease},
      {"hypercalls_increase", c.hc_increase},
      {"pool_growths", c.growths},
      {"pool_growth_failures", c.growth_failures},
      {"pool_pages", c.pool_pages},
      // memremap_pages() allocates a struct page (64 bytes, arm64/x86_64 without debug options) per pool
      // page from RAM: the RAM the unpopulated pool does cost.
      {"pool_memmap_bytes", c.pool_pages * 64},
      {"pool_live_peak", c.pool_live_peak},
      {"pool_idle_end", c.idle_end},
      {"allocs", c.allocs},
      {"alloc_failures", c.alloc_failures},
      {"dma_failures", c.dma_failures},
      {"ram_allocs", c.ram_allocs},
      {"violations", c.violations},
      {"liveness", c.liveness},
      {"rules", c.by_rule},
      {"violation_texts", r.violations},
      {"oopsed", r.oopsed},
      {"wall_ms", r.wall_ms},
  };
  return j;
}

}  // namespace unpop::scen
