// unpopcheck variants: the variant registry (model/variants/registry.h) as a table, Markdown (the
// generated part of docs/variants.md) or JSON: what each design is and which rules it breaks by
// design, and why.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "model/variants/registry.h"
#include "report/table.h"

namespace unpop::cli {
namespace {

struct VariantsCmd {
  bool json = false, markdown = false;
};

const char* pool_text(PoolKind k) {
  switch (k) {
    case PoolKind::lifo_list: return "LIFO page_list";
    case PoolKind::genpool: return "one genpool";
    case PoolKind::runs: return "free runs (IPA order)";
  }
  return "?";
}

std::string dma_text(const VariantTraits& t) {
  std::string s;
  switch (t.dma) {
    case DmaSource::cma_ram: s = "CMA RAM"; break;
    case DmaSource::own_genpool: s = "a DMA genpool of its own"; break;
    case DmaSource::shared_pool: s = "the plain pool, contiguous"; break;
  }
  if (t.cma_fallback) s += ", falls back to CMA RAM";
  if (t.unlocked_dma) s += ", unlocked";
  return s;
}

std::string ops_text(std::uint8_t ops) {
  static const std::pair<OpBit, const char*> names[] = {
      {op_alloc, "alloc"}, {op_free, "free"}, {op_dma_alloc, "dma_alloc"}, {op_dma_free, "dma_free"}};
  std::string out;
  for (const auto& [bit, name] : names)
    if (ops & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

int run(const VariantsCmd& c) {
  if (c.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : variants()) {
      nlohmann::json b = nlohmann::json::array();
      for (const auto& d : v.by_design)
        b.push_back({{"rule", d.rule}, {"ops", ops_text(d.ops)}, {"needs", to_string(d.needs)}, {"why", d.why}});
      j.push_back({{"name", v.name}, {"summary", v.summary}, {"source", v.source}, {"pool", pool_text(v.traits.pool)},
                   {"dma", dma_text(v.traits)},
                   {"target", v.traits.target == GrowthTarget::iomem ? "iomem_resource" : "by arch"},
                   {"by_design", b}});
    }
    std::cout << j.dump(2) << "\n";
    return kClean;
  }
  auto code = [&](const std::string& s) { return c.markdown ? "`" + s + "`" : s; };
  report::Table t({"variant", "plain pool", "DMA pages", "target", "what it is"});
  for (const auto& v : variants())
    t.add({code(v.name), pool_text(v.traits.pool), dma_text(v.traits),
           v.traits.target == GrowthTarget::iomem ? "iomem_resource on any layout" : "xen_resource (Arm), iomem_resource (x86)",
           v.summary});
  report::Table f({"variant", "breaks by design", "at", "needs", "why"});
  for (const auto& v : variants()) {
    if (v.by_design.empty()) f.add({code(v.name), "nothing", "", "", ""});
    for (const auto& d : v.by_design) f.add({code(v.name), code(d.rule), ops_text(d.ops), to_string(d.needs), d.why});
  }
  std::cout << (c.markdown ? t.markdown() : t.render()) << "\n" << (c.markdown ? f.markdown() : f.render());
  return kClean;
}

}  // namespace

void register_variants(CLI::App& app) {
  auto c = std::make_shared<VariantsCmd>();
  auto* sub = app.add_subcommand("variants", "list the allocator variants and the rules each breaks by design");
  opt::json(sub, c->json);
  sub->add_flag("--markdown", c->markdown, "Markdown tables (docs/variants.md)");
  sub->callback([c] { exit_code = run(*c); });
}

}  // namespace unpop::cli
