// unpopcheck layout: the guest layout, its extended regions, and which of them Linux can grow
// into at this page size and why not.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/case/runner.h"
#include "model/core/errno.h"
#include "model/layout/loaders.h"
#include "model/linux/sections.h"
#include "report/steps.h"
#include "report/table.h"

namespace unpop::cli {
namespace {

struct LayoutCmd {
  LayoutOptions lo;
  bool json = false;
  bool list = false;
};

nlohmann::json ranges_json(const std::vector<NamedRange>& rs) {
  auto a = nlohmann::json::array();
  for (const auto& r : rs) a.push_back({{"start", hex(r.range.start)}, {"end", hex(r.range.end)}, {"name", r.name}});
  return a;
}

}  // namespace

int print_layout(const Layout& l, const Geometry& g, bool json, bool from_iomem_only) {
  // Linux's side: run unpopulated_init of upstream with the checker attached.
  Case cs;
  cs.layout = l;
  cs.page_size = g.page_size();
  cs.variant = default_variant();
  Runner runner(cs);
  const auto& findings = runner.init_findings();
  auto uses = region_usability(l, g);
  const Kernel& k = runner.model().kernel();
  bool violation = false;
  for (const auto& f : findings) violation |= f.severity == Severity::violation;

  if (json) {
    nlohmann::json j;
    j["name"] = l.name;
    j["source"] = l.source;
    j["arch"] = to_string(l.arch);
    j["page_size"] = g.page_size();
    j["section_size"] = g.section_size();
    j["pages_per_section"] = g.pages_per_section();
    Range plug = pluggable_range(l, g);
    j["pluggable"] = {{"start", hex(plug.start)}, {"end", hex(plug.end)}};
    j["ram"] = ranges_json(l.ram);
    j["reserved"] = ranges_json(l.reserved);
    j["mmio"] = ranges_json(l.mmio);
    if (l.grant_table) j["grant_table"] = {{"start", hex(l.grant_table->start)}, {"end", hex(l.grant_table->end)}};
    auto& regs = j["extended_regions"] = nlohmann::json::array();
    for (const auto& u : uses) {
      nlohmann::json r{{"start", hex(u.region.start)}, {"end", hex(u.region.end)}, {"sections", u.sections},
                       {"wasted_bytes", u.wasted_bytes}, {"why", u.why}};
      if (u.usable) r["usable"] = {{"start", hex(u.usable->start)}, {"end", hex(u.usable->end)}};
      regs.push_back(r);
    }
    j["target"] = to_string(k.target_kind());
    j["init_ret"] = runner.model().init_ret();
    j["findings"] = report::findings_json(findings);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return violation ? kFindings : kClean;
  }

  std::cout << fmt::format("layout {} ({}), {}, {} pages, {} MiB sections ({} pages each)\n", l.name, l.source,
                           to_string(l.arch), g.page_size_name(), g.section_size() >> 20, g.pages_per_section());
  std::cout << fmt::format("pluggable range (mhp_get_pluggable_range): {}\n\n", to_string(pluggable_range(l, g)));
  // Every range of the layout in address order (a DTB lists MMIO in node order).
  std::vector<std::pair<const char*, NamedRange>> rows;
  for (const auto& r : l.ram) rows.emplace_back("RAM", r);
  for (const auto& r : l.reserved) rows.emplace_back("reserved", r);
  for (const auto& r : l.mmio) rows.emplace_back("MMIO", r);
  if (l.grant_table) rows.emplace_back("grant table", NamedRange{*l.grant_table, "hypervisor reg[0]"});
  for (const auto& r : l.extra_mem) rows.emplace_back("extra mem", r);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second.range.start < b.second.range.start; });
  report::Table t({"kind", "range", "size", "name"});
  for (const auto& [kind, r] : rows) t.add({kind, to_string(r.range), human_size(r.range.size()), r.name});
  std::cout << t.render() << "\n";
  const int init_ret = runner.model().init_ret();
  if (l.ext_regions.empty()) {
    std::cout << "no extended regions";
    if (from_iomem_only)
      std::cout << " (Xen lists them in the device tree's hypervisor node, which /proc/iomem does not show: add "
                   "--dtb, e.g. a copy of /sys/firmware/fdt)";
  } else {
    report::Table e({"extended region", "size", "usable at " + g.page_size_name(), "why"});
    for (const auto& u : uses) {
      // With no target (the arch init refused the layout), Linux uses none of them.
      const bool none = init_ret != 0 || !u.usable;
      e.add({to_string(u.region), human_size(u.region.size()), none ? "none" : to_string(*u.usable),
             init_ret != 0 ? fmt::format("arch init failed ({}): no target resource", err::name(init_ret)) : u.why});
    }
    std::cout << e.render();
  }
  std::cout << fmt::format("\nLinux target: {}", to_string(k.target_kind()));
  if (k.has_target()) std::cout << " " << to_string(k.tree().get(k.target()).range);
  if (init_ret != 0)
    std::cout << fmt::format(" (arch init failed: {}; allocations fall back to ballooned RAM)", err::name(init_ret));
  std::cout << "\n";
  for (ResId h : k.has_target() ? k.tree().children(k.target()) : std::vector<ResId>{})
    std::cout << fmt::format("  {} : {}\n", to_string(k.tree().get(h).range), k.tree().get(h).name);
  for (const auto& f : findings) std::cout << "! " << report::finding_text(f) << "\n";
  return violation ? kFindings : kClean;
}

namespace {

int run(const LayoutCmd& c) {
  if (c.list) {
    for (const auto& n : preset_names()) std::cout << n << "\n";
    return kClean;
  }
  Layout l;
  Geometry g;
  try {
    l = c.lo.load();
    g = c.lo.geometry(l);
  } catch (const LoadError& e) {
    return input_error("layout", e, c.json);
  }
  return print_layout(l, g, c.json, c.lo.dtb.empty() && c.lo.preset.empty() && c.lo.layout_file.empty());
}

}  // namespace

void register_layout(CLI::App& app) {
  auto c = std::make_shared<LayoutCmd>();
  auto* sub = app.add_subcommand("layout", "print a layout, its extended regions and what Linux can use of them");
  c->lo.add_to(sub, false);
  opt::json(sub, c->json);
  sub->add_flag("--list", c->list, "list the shipped presets");
  sub->callback([c] {
    if (!c->list && !c->lo.given()) throw CLI::RequiredError("one of --preset, --dtb, --iomem, --layout");
    exit_code = run(*c);
  });
}

}  // namespace unpop::cli
