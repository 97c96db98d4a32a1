// Bmc's public face and configuration: which encodings a variant's traits select, the rule
// lists, and what the design says of a rule.
#include "solver/bmc.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/case/runner.h"
#include "solver/bmc_impl.h"

namespace unpop::solver {

const char* op_kind_name(int k) {
  static const char* n[] = {"alloc", "free", "dma_alloc", "dma_free", "drain"};
  return k >= 0 && k <= k_drain ? n[k] : "any";
}

const std::vector<std::string>& bmc_rules() {
  static const std::vector<std::string> r =
      rules_of({RuleKind::placement, RuleKind::safety, RuleKind::conformance, RuleKind::liveness});
  return r;
}

const std::vector<std::string>& misuse_rules() {
  static const std::vector<std::string> r = rules_of({RuleKind::caller});
  return r;
}

std::uint8_t op_bits(int kind) {
  switch (kind) {
    case k_alloc: return op_alloc;
    case k_free: return op_free;
    case k_dma_alloc: return op_dma_alloc;
    case k_dma_free: return op_dma_free;
    default: return op_any;
  }
}

bool rule_applies(const std::string& rule, int kind) {
  const RuleInfo* r = find_rule(rule);
  return r && r->applies_to(op_bits(kind));
}

Expect design_expectation(const std::string& variant, const std::string& rule, int kind, const Layout& l) {
  const VariantInfo& v = variant_info(variant);
  std::vector<Needs> present, possible;
  for (Needs n : all_needs())
    if (n != Needs::nothing && n != Needs::arm_target) possible.push_back(n);  // the bound may or may not reach it
  if (!uses_iomem_target(v, l)) present.push_back(Needs::arm_target);         // the layout decides this one
  return expectation(v, rule, op_bits(kind), present, possible);
}

Bmc::Impl::Impl(const BmcConfig& cf)
    : cfg(cf),
      w{true, true, {c.int_val(0), c.int_val(0)}, {}, {}, {c.int_val(0), c.int_val(0)}, {}, {}, {}, {c.int_val(0), c.int_val(0)}},
      p(c.int_const("p")) {
  geo = case_geometry(cfg.base);
  variant = cfg.base.variant;
  mut = cfg.base.mutant;
  pps = geo.pages_per_section();
  page = geo.page_size();
  const Layout& l = cfg.base.layout;
  const VariantInfo& info = variant_info(variant, "variant");
  const VariantTraits& tr = info.traits;
  bool use_iomem = uses_iomem_target(info, l);
  arm = !use_iomem;
  w = world_from_layout(c, l, geo, use_iomem, mut);
  list_plain = tr.pool == PoolKind::lifo_list;
  gp_dma = tr.dma == DmaSource::own_genpool;
  gp_plain = tr.pool == PoolKind::genpool;
  proposed = tr.pool == PoolKind::runs;
  cma_dma = tr.dma == DmaSource::cma_ram;
  cma_fallback = tr.cma_fallback;
  // The encodings below cover these combinations of plain pool and DMA source; any other is
  // refused rather than encoded as something else.
  const bool encoded = (list_plain && (cma_dma || gp_dma) && !cma_fallback) ||
                       (gp_plain && tr.dma == DmaSource::shared_pool && cma_fallback) ||
                       (proposed && tr.dma == DmaSource::shared_pool && !cma_fallback);
  if (!encoded)
    throw std::invalid_argument(fmt::format("variant {}: the BMC encodes no such pool and DMA source combination",
                                            variant));
  if (seeds_extra_mem(info, l))
    for (const auto& r : l.extra_mem) seeds.push_back(r.range);
  for (const auto& r : l.ram) ram_pages = std::max<std::uint64_t>(ram_pages, r.range.size() / page);
  two = cfg.two_callers && tr.unlocked_dma;
  depth = cfg.depth;
  if (cfg.max_nr == 0) cfg.max_nr = 3 * pps;
  compute_free_sections();
  if (proposed) init_proposed(use_iomem);
  // proposed's run relations (many if-then-else over integer bounds) solve about twice as fast
  // with the older arithmetic solver, and so do the genpool inductive queries. The config may
  // choose another (prove --z3-arith, for experiments).
  if (proposed || cfg.inductive_genpool) arith_solver = 2u;
  if (cfg.arith_solver) arith_solver = cfg.arith_solver;
  seed0 = cfg.z3_seed;
  tune(s, Tuning{seed0, arith_solver});
  build();
}

Bmc::Bmc(const BmcConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Bmc::~Bmc() = default;

std::optional<QueryResult> Bmc::first_refuted(const std::vector<std::string>& rules) {
  for (const auto& r : rules) {
    QueryResult q = query(r, -1);
    if (q.verdict == Verdict::refuted) return q;
  }
  return std::nullopt;
}

}  // namespace unpop::solver
