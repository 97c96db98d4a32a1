#pragma once
/// The rules, once: every rule id with its kind, what it concerns, whether a trace can show it
/// and its text (docs/rules.md says the same in words). The checker reports by these ids; the
/// property suites, the solver's query groups and the replay's rule sets are derived from this
/// table, never listed again.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace unpop {

enum class RuleKind : std::uint8_t {
  layout,       // Xen's extended regions and the holes Linux builds from them
  placement,    // where a growth lands
  safety,       // the allocator's own pages and counters
  caller,       // what callers give back (a kernel cannot break these; its callers can)
  liveness,     // a finding of the design, not a violation: space was there, it was not used
  conformance,  // the kernel does what the modelled design does (page order)
};
const char* to_string(RuleKind k);

/// What a rule concerns, as a bit set: the operations that can break it follow from it.
enum Concern : std::uint8_t {
  c_growth = 1,     // a growth of the pool (made by an allocation)
  c_plain = 2,      // pages of plain allocations (xen_alloc_unpopulated_pages)
  c_dma = 4,        // pages of DMA allocations (gnttab_dma_alloc_pages)
  c_frees = 8,      // what is given back
  c_counts = 16,    // the counters (nr_pages, list_count, genpool avail)
  c_ram_taken = 32  // real RAM handed out instead of unpopulated space
};

/// The operations of a case, as a bit set (kinds a rule can break at, by-design scopes).
enum OpBit : std::uint8_t { op_alloc = 1, op_free = 2, op_dma_alloc = 4, op_dma_free = 8, op_any = 15 };

struct RuleInfo {
  const char* id;
  RuleKind kind;
  std::uint8_t concerns;  // Concern bits
  bool trace_visible;     // a trace of the allocator's events can show it (kernel-bug cannot)
  bool history;           // depends on earlier events: a lost-events marker makes it uncertain
  bool lifo_only;         // only a LIFO page_list can break it
  const char* text;       // the rule in words
  const char* shows;      // what a report of it names
  bool liveness() const { return kind == RuleKind::liveness; }
  /// Can an operation of these kinds (OpBit) break it?
  bool applies_to(std::uint8_t ops) const;
};

/// In a fixed order: layout, placement, page safety, caller, liveness (reports list rules in it).
const std::vector<RuleInfo>& rule_table();
/// nullptr for an id not in the table.
const RuleInfo* find_rule(std::string_view id);
/// "growth, plain pages, frees" (the Concern bits in words).
std::string concerns_text(std::uint8_t concerns);
/// The ids of every rule of these kinds, in table order.
std::vector<std::string> rules_of(std::initializer_list<RuleKind> kinds);

}  // namespace unpop
