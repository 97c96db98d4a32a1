#include "model/variants/registry.h"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/variants/variant.h"

namespace unpop {

// Each variant's record and factory, defined next to its code.
VariantInfo upstream_variant();
VariantInfo x86_variant();
VariantInfo rfc_variant();
VariantInfo v1_variant();
VariantInfo proposed_variant();

namespace {

struct Registry {
  std::mutex mu;  // registration only; lookups happen after it (tests register before running)
  std::vector<VariantInfo> all;
  Registry() {
    // The registrations, in the order every listing shows them.
    add(upstream_variant());
    add(rfc_variant());
    add(v1_variant());
    add(x86_variant());
    add(proposed_variant());
  }
  void add(VariantInfo v) {
    if (!v.make) throw std::invalid_argument("variant '" + v.name + "' has no factory");
    for (const auto& o : all)
      if (o.name == v.name) throw std::invalid_argument("variant '" + v.name + "' is registered twice");
    all.push_back(std::move(v));
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

const char* to_string(Needs n) {
  switch (n) {
    case Needs::nothing: return "any layout";
    case Needs::arm_target: return "the Arm target (xen_resource and its iomem mirror)";
    case Needs::fragmented_space: return "free space in pieces smaller than one request";
    case Needs::ram_shortage: return "a DMA request larger than the CMA RAM left";
    case Needs::iomem_user: return "an iomem user inside the target at run time";
    case Needs::adjacent_sections: return "adjacent free sections across a chunk boundary";
    case Needs::two_callers: return "two callers on the unlocked path";
    case Needs::grant_table_in_reach: return "a grant-table region the target can grow over";
  }
  return "?";
}

const std::vector<Needs>& all_needs() {
  static const std::vector<Needs> all = {Needs::nothing,         Needs::arm_target,       Needs::fragmented_space,
                                         Needs::ram_shortage,    Needs::iomem_user,       Needs::adjacent_sections,
                                         Needs::two_callers,     Needs::grant_table_in_reach};
  return all;
}

const std::vector<VariantInfo>& variants() { return registry().all; }

std::vector<std::string> variant_names() {
  std::vector<std::string> out;
  for (const auto& v : variants()) out.push_back(v.name);
  return out;
}

const VariantInfo* kernel_patches_variant() {
  for (const auto& v : variants())
    if (v.kernel_patches) return &v;
  return nullptr;
}

const VariantInfo* find_variant(std::string_view name) {
  for (const auto& v : variants())
    if (v.name == name) return &v;
  return nullptr;
}

std::string variant_list_text() { return fmt::format("{}", fmt::join(variant_names(), ", ")); }

const VariantInfo& variant_info(std::string_view name, const std::string& option) {
  if (const VariantInfo* v = find_variant(name)) return *v;
  throw LoadError{option, 0, fmt::format("unknown variant '{}': expected one of {}", name, variant_list_text())};
}

std::vector<std::string> parse_variants(const std::string& text, const std::string& option) {
  if (text == "all") return variant_names();
  std::vector<std::string> out;  // in the order given, each once
  if (!text.empty() && text.back() == ',') throw LoadError{option, 0, fmt::format("empty variant name in '{}'", text)};
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) throw LoadError{option, 0, fmt::format("empty variant name in '{}'", text)};
    const std::string& name = variant_info(item, option).name;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) throw LoadError{option, 0, fmt::format("expected a variant: one of {} or all", variant_list_text())};
  return out;
}

bool all_leaves_out(std::string_view variant, Arch arch) {
  const VariantInfo* v = find_variant(variant);
  return v && v->native_arch && *v->native_arch != arch;
}

const std::string& default_variant() {
  static const std::string d = "upstream";  // mainline: what a kernel runs unless patched
  return d;
}

void register_variant(VariantInfo info) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.add(std::move(info));
}

std::unique_ptr<Variant> make_variant(std::string_view name) {
  const VariantInfo* v = find_variant(name);
  return v ? v->make() : nullptr;
}

bool uses_iomem_target(GrowthTarget target, const Layout& l) {
  return target == GrowthTarget::iomem || l.arch == Arch::x86_64;
}

bool uses_iomem_target(const VariantInfo& v, const Layout& l) { return uses_iomem_target(v.traits.target, l); }

bool seeds_extra_mem(const VariantInfo& v, const Layout& l) {
  switch (v.traits.extra_mem) {
    case ExtraMem::never: return false;
    case ExtraMem::with_iomem_target: return uses_iomem_target(v, l);
    case ExtraMem::always: return true;
  }
  return false;
}

bool genpool_frees(const VariantInfo& v, bool dma) {
  return v.traits.pool == PoolKind::genpool || (dma && v.traits.dma == DmaSource::own_genpool);
}

bool rule_applies(const VariantInfo& v, const RuleInfo& r) {
  return !r.lifo_only || v.traits.pool == PoolKind::lifo_list;
}

std::vector<std::string> by_design_rules(const VariantInfo& v) {
  std::vector<std::string> out;
  for (const auto& b : v.by_design)
    if (std::find(out.begin(), out.end(), b.rule) == out.end()) out.emplace_back(b.rule);
  std::sort(out.begin(), out.end());
  return out;
}

bool mutant_applies(const VariantInfo& v, Mutant m) {
  for (const auto& i : mutant_table()) {
    if (i.id != m) continue;
    switch (i.scope) {
      case MutantScope::growth: return true;
      case MutantScope::lifo_list: return v.traits.pool == PoolKind::lifo_list;
      case MutantScope::own_dma_pool: return v.traits.dma == DmaSource::own_genpool;
      case MutantScope::pool_dma: return v.traits.dma != DmaSource::cma_ram;
      case MutantScope::arm_holes: return v.traits.target == GrowthTarget::by_arch;
    }
  }
  return false;
}

const char* equivalent_mutant(const VariantInfo& v, Mutant m) {
  for (const auto& e : v.equivalent)
    if (e.mutant == m) return e.why;
  return nullptr;
}

std::string mutant_variants_text(Mutant m) {
  std::vector<std::string> names;
  for (const auto& v : variants())
    if (mutant_applies(v, m)) names.push_back(v.name);
  std::string out = names.size() == variants().size() ? "all" : fmt::format("{}", fmt::join(names, " "));
  for (const auto& i : mutant_table())
    if (i.id == m && i.scope == MutantScope::arm_holes) out += " (Arm)";
  return out;
}

Expect expectation(const VariantInfo& v, std::string_view rule, std::uint8_t ops, const std::vector<Needs>& present,
                   const std::vector<Needs>& possible) {
  auto in = [](const std::vector<Needs>& s, Needs n) { return std::find(s.begin(), s.end(), n) != s.end(); };
  Expect e = Expect::holds;
  for (const auto& b : v.by_design) {
    if (rule != b.rule || !(b.ops & ops)) continue;
    if (b.needs == Needs::nothing || in(present, b.needs)) return Expect::breaks;
    if (in(possible, b.needs)) e = Expect::either;
  }
  return e;
}

}  // namespace unpop
