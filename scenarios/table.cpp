#include "scenarios/table.h"

#include <fmt/format.h>

#include "report/table.h"

namespace unpop::scen {
namespace {

std::string mib(std::uint64_t pages, std::uint64_t page_size) {
  double v = static_cast<double>(pages) * static_cast<double>(page_size) / (1 << 20);
  if (pages == 0) return "0";
  return v >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.1f}", v);
}

std::string rule(const Counters& c, const char* id) {
  auto it = c.by_rule.find(id);
  return it == c.by_rule.end() ? "0" : std::to_string(it->second);
}

std::vector<std::string> header() {
  return {"scenario", "variant",  "RAM peak MiB", "CMA peak MiB", "2M broken", "1G broken",  "hypercalls",
          "growths",  "pool MiB", "idle MiB",     "fails",        "viol",      "ram-stolen", "spur-enomem"};
}

std::vector<std::string> row(const RunResult& r) {
  const Counters& c = r.c;
  return {r.scenario,
          r.variant,
          mib(c.ram_pages_peak, r.page_size),
          mib(c.cma_pages_peak, r.page_size),
          fmt::format("{}/{}", c.p2m_2m_broken, c.p2m_2m_blocks),
          fmt::format("{}/{}", c.p2m_1g_broken, c.p2m_1g_blocks),
          std::to_string(c.hypercalls()),
          std::to_string(c.growths),
          mib(c.pool_pages, r.page_size),
          mib(c.idle_end, r.page_size),
          fmt::format("{}/{}", c.alloc_failures, c.allocs),
          std::to_string(c.violations) + (r.oopsed ? " OOPS" : ""),
          rule(c, "ram-stolen"),
          rule(c, "spurious-enomem")};
}

}  // namespace

std::string results_table(const std::vector<RunResult>& runs, bool markdown) {
  if (markdown) {
    auto h = header();
    std::string o = "|";
    for (const auto& s : h) o += " " + s + " |";
    o += "\n|";
    for (std::size_t i = 0; i < h.size(); ++i) o += i < 2 ? "---|" : "--:|";
    o += "\n";
    for (const auto& r : runs) {
      o += "|";
      for (const auto& s : row(r)) o += " " + s + " |";
      o += "\n";
    }
    return o;
  }
  report::Table t(header());
  for (const auto& r : runs) t.add(row(r));
  return t.render();
}

std::string column_legend() {
  return "RAM peak: most guest RAM held at once (CMA + ballooned); CMA peak: of it, through "
         "gnttab_dma_alloc_pages;\n"
         "2M/1G broken: distinct 2 MiB / 1 GiB P2M superpage blocks of guest RAM that lost a page / "
         "superpage "
         "blocks at boot;\n"
         "hypercalls: XENMEM_decrease_reservation + XENMEM_populate_physmap calls; growths: pool growths "
         "(sections mapped);\n"
         "pool MiB: unpopulated IPA space mapped at the end; idle MiB: of it, not handed out when the "
         "teardown "
         "starts;\n"
         "fails: failed allocations / allocations; viol: invariant violations (must be 0); ram-stolen, "
         "spur-enomem: liveness findings.\n";
}

}  // namespace unpop::scen
