#pragma once
/// The variant registry: every allocator design once, as a traits record registered next to its
/// factory (upstream.cpp, rfc.cpp, v1.cpp, proposed.cpp; registry.cpp holds the one list of
/// registrations). Commands, suites, solver encodings, replay, charts and scripts enumerate
/// variants and ask about their behaviour here; nothing outside model/variants compares a
/// variant's name. Adding a variant is one new file and one line in registry.cpp (or, for a
/// test, one register_variant() call).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/invariants/rules.h"
#include "model/layout/layout.h"
#include "model/linux/mutants.h"

namespace unpop {

class Variant;

/// Where plain allocations (xen_alloc_unpopulated_pages) come from, and in which order.
enum class PoolKind : std::uint8_t {
  lifo_list,  // page_list + list_count under list_lock, pages popped LIFO (upstream)
  genpool,    // one genpool: best fit, newest chunk first, one range per allocation (V1)
  runs,       // free runs in IPA order (an interval set), any run serves (proposed)
};

/// Where the grant table's DMA allocations (gnttab_dma_alloc_pages) come from.
enum class DmaSource : std::uint8_t {
  cma_ram,      // dma_alloc_coherent(): CMA RAM given back to Xen (no unpopulated DMA path)
  own_genpool,  // a genpool of its own, grown by its own fill function (the RFC's DMA pool)
  shared_pool,  // the plain pool, one IPA-contiguous range (V1, proposed)
};

/// Which resource unpopulated_init() grows into.
enum class GrowthTarget : std::uint8_t {
  by_arch,  // arch_xen_unpopulated_init(): xen_resource on Arm, iomem_resource on x86
  iomem,    // always iomem_resource (the x86 arch init's weak default, on any layout)
};

/// When the xen_extra_mem ranges (x86) are put into the pool at init.
enum class ExtraMem : std::uint8_t { never, with_iomem_target, always };

/// What a layout (and the bound of a check) must offer for a by-design finding to show.
enum class Needs : std::uint8_t {
  nothing,               // any layout with a target
  arm_target,            // the Arm target: xen_resource built from extended regions, mirrored in iomem
  fragmented_space,      // free space in pieces smaller than one request (e.g. one-section regions)
  ram_shortage,          // a DMA request larger than the CMA RAM left
  iomem_user,            // something claiming iomem inside the target at run time (hot-plug, a driver)
  adjacent_sections,     // two adjacent free sections of one region (contiguity across a chunk boundary)
  two_callers,           // two callers interleaving on an unlocked path
  grant_table_in_reach,  // a grant-table region the target can grow over
};
const char* to_string(Needs n);
/// Every value of Needs, in declaration order.
const std::vector<Needs>& all_needs();

/// A rule the variant breaks by design: which, at which operations, what it needs, and why.
struct ByDesign {
  const char* rule;
  std::uint8_t ops;  // OpBit set where it shows
  Needs needs;
  const char* why;   // one line, in the kernel's terms (docs/findings.md has the long form)
};

/// A mutant whose code exists in the variant but cannot change what it does there.
struct Equivalent {
  Mutant mutant;
  const char* why;
};

struct VariantTraits {
  PoolKind pool = PoolKind::lifo_list;
  DmaSource dma = DmaSource::cma_ram;
  bool cma_fallback = false;         // DMA falls back to CMA when the pool cannot serve (V1)
  GrowthTarget target = GrowthTarget::by_arch;
  ExtraMem extra_mem = ExtraMem::never;
  bool unlocked_dma = false;         // the DMA path runs outside any lock (the RFC)
  unsigned dma_alloc_steps = 1;      // atomic steps of one DMA allocation another caller sees
  bool tmp_res_slip = false;         // the DMA fill tests `if (!res)` after kzalloc(tmp_res) (the RFC)
  const char* growth_fn = "fill_list";  // the function that grows the pool the solver's growth step checks
  /// Each growth is allocate_resource(target, round_up(nr_pages, PAGES_PER_SECTION) pages,
  /// the pluggable range, section alignment): where it lands and how big it is follow from the
  /// resource tree alone, so a trace's growths can be predicted (replay's growth divergences).
  /// False for a variant that picks the window itself from its own state (proposed).
  bool growth_from_tree = true;
};

struct VariantInfo {
  std::string name;
  std::string summary;  // one line: what it is
  std::string source;   // where it comes from (kernel tree, mailing-list message, this project)
  VariantTraits traits;
  std::vector<ByDesign> by_design;
  std::vector<Equivalent> equivalent;
  std::optional<Arch> native_arch;  // `--variant all` runs it only on layouts of this arch
  std::string colour = "#555555";   // charts
  /// replay's `--variant auto` considers it: some kernel implements it (merged or posted).
  bool auto_candidate = true;
  /// It is what mainline Linux does with this arch's arch_xen_unpopulated_init(): `conform`
  /// compares the kernel's own code built with that arch init against it.
  std::optional<Arch> mainline_arch_init;
  /// This project's kernel patch series (kernel/patches) implements it: `conform` compares the
  /// patched unpopulated-alloc.c with it. At most one variant says so.
  bool kernel_patches = false;
  std::function<std::unique_ptr<Variant>()> make;
};

/// Every registered variant, in registration order (upstream rfc v1 x86 proposed, then any a
/// test added).
const std::vector<VariantInfo>& variants();
std::vector<std::string> variant_names();
/// nullptr if unknown.
const VariantInfo* find_variant(std::string_view name);
/// The variant this project's kernel patch series implements (VariantInfo::kernel_patches), or
/// nullptr if none says so.
const VariantInfo* kernel_patches_variant();
/// The variant or a LoadError naming the option and listing the registered names.
const VariantInfo& variant_info(std::string_view name, const std::string& option = "--variant");
/// A variant's name, or "all" (registry order), or a comma-separated list (the order given, each
/// once). A LoadError for an unknown one lists the registered names.
std::vector<std::string> parse_variants(const std::string& text, const std::string& option = "--variant");
/// `--variant all` on a layout of `arch` leaves out a variant native to another arch (x86's
/// weak-default iomem target, which an Arm kernel cannot have); named, it still runs. One rule
/// for every command that takes a user's layout (check, scenario).
bool all_leaves_out(std::string_view variant, Arch arch);
/// "upstream, rfc, v1, x86, proposed": for help texts and messages.
std::string variant_list_text();
/// The variant a case or a replay assumes when none is named.
const std::string& default_variant();
/// Adds a variant (tests; the built-in ones are registered on first use). Throws
/// std::invalid_argument for a duplicate name or a missing factory.
void register_variant(VariantInfo info);
/// nullptr if unknown.
std::unique_ptr<Variant> make_variant(std::string_view name);

// ---- questions about a variant, answered from its traits --------------------------------

/// Does it grow into iomem_resource on this layout (x86 layouts, or the iomem target)?
bool uses_iomem_target(const VariantInfo& v, const Layout& l);
/// The same from the trait alone (replay's state keeps the traits it reads, not the variant).
bool uses_iomem_target(GrowthTarget target, const Layout& l);
/// Does it put xen_extra_mem into its pool at init on this layout?
bool seeds_extra_mem(const VariantInfo& v, const Layout& l);
/// Does genpool take this path's frees (where a bad free BUG()s)?
bool genpool_frees(const VariantInfo& v, bool dma);
/// Does the DMA path share the plain allocations' pool (one count for both)?
inline bool dma_shares_pool(const VariantInfo& v) { return v.traits.dma == DmaSource::shared_pool; }
/// Can the rule break in this variant at all (order-mismatch needs a LIFO list)?
bool rule_applies(const VariantInfo& v, const RuleInfo& r);
/// The rules the variant breaks by design (the property suites' expected findings).
std::vector<std::string> by_design_rules(const VariantInfo& v);
/// Does the mutated code exist in this variant?
bool mutant_applies(const VariantInfo& v, Mutant m);
/// The reason a mutant cannot change the variant's behaviour, or nullptr.
const char* equivalent_mutant(const VariantInfo& v, Mutant m);
/// The names of the variants a mutant's code exists in ("upstream rfc x86"), for listings.
std::string mutant_variants_text(Mutant m);

/// What the design says of a rule at some operations (OpBit set) on a layout that surely has
/// the `present` needs and may have the `possible` ones (Needs::nothing is always present).
enum class Expect : std::uint8_t { holds, breaks, either };
Expect expectation(const VariantInfo& v, std::string_view rule, std::uint8_t ops, const std::vector<Needs>& present,
                   const std::vector<Needs>& possible);

}  // namespace unpop
