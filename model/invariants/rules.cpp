#include "model/invariants/rules.h"

namespace unpop {

const char* to_string(RuleKind k) {
  switch (k) {
    case RuleKind::layout: return "layout";
    case RuleKind::placement: return "placement";
    case RuleKind::safety: return "safety";
    case RuleKind::caller: return "caller";
    case RuleKind::liveness: return "liveness";
    case RuleKind::conformance: return "conformance";
  }
  return "?";
}

bool RuleInfo::applies_to(std::uint8_t ops) const {
  // A growth happens inside an allocation; pages are handed out by their path's allocation and
  // given back by its free.
  std::uint8_t at = 0;
  if (concerns & (c_growth | c_plain)) at |= op_alloc;
  if (concerns & (c_growth | c_dma)) at |= op_dma_alloc;
  if ((concerns & c_frees) && (concerns & c_plain)) at |= op_free;
  if ((concerns & c_frees) && (concerns & c_dma)) at |= op_dma_free;
  return (at & ops) != 0;
}

const std::vector<RuleInfo>& rule_table() {
  using K = RuleKind;
  constexpr std::uint8_t pages = c_plain | c_dma;
  // id, kind, concerns, trace_visible, history, lifo_only, text, what a report names
  static const std::vector<RuleInfo> t = {
      {"region-overlap", K::layout, 0, true, false, false,
       "Extended regions are disjoint from each other and from RAM, reserved memory and MMIO.",
       "the two ranges"},
      {"region-mismatch", K::layout, 0, true, false, false,
       "The holes Linux built are exactly the gaps between the sorted extended regions.",
       "the differing range"},
      {"ram-overlap", K::placement, c_growth | pages, true, false, false,
       "No pool page, live page or growth range overlaps guest RAM.",
       "the page or range, and the RAM bank it hits"},
      {"device-overlap", K::placement, c_growth | pages, true, false, false,
       "No pool page, live page or growth range overlaps reserved memory, device MMIO or the grant table.",
       "the range and the resource it hits"},
      {"outside-ext-region", K::placement, c_growth, true, false, false,
       "With a target built from extended regions, every growth range lies inside one extended region.",
       "the range and the nearest regions"},
      {"growth-misaligned", K::placement, c_growth, true, false, false,
       "A growth range starts on a memory-section boundary and spans whole sections.",
       "the range, the section size"},
      {"growth-overlap", K::placement, c_growth, true, false, false,
       "A growth range does not overlap the pool it grows (project rule).",
       "the growth and the pool range it overlaps"},
      {"not-in-pool", K::safety, pages, true, true, false, "A page handed out belongs to the pool.",
       "the pfn"},
      {"double-alloc", K::safety, pages, true, true, false, "A page is never handed out while it is live.",
       "the pfn, both owners"},
      {"not-contiguous", K::safety, c_dma, true, false, false, "The pages of one DMA allocation are consecutive in IPA.",
       "the allocation, the first gap"},
      {"count-mismatch", K::safety, pages | c_frees | c_counts, true, true, false,
       "Counts agree: nr_pages equals the pages; free + live = pool; list_count is right.",
       "the counts"},
      {"order-mismatch", K::conformance, c_plain, true, true, true,
       "The list hands pages out in LIFO order, as page_list does (project rule).",
       "the page handed out and the one page_list would give"},
      {"kernel-bug", K::safety, c_growth | pages | c_frees, false, false, false,
       "The modelled kernel never reaches BUG() or a NULL dereference (project rule).",
       "the BUG() or NULL dereference and the call that reached it"},
      {"double-free", K::caller, pages | c_frees, true, true, false, "A page is not given back twice.",
       "the pfn, both frees"},
      {"mixed-free", K::caller, pages | c_frees, true, true, false,
       "A page goes back through the path it came out of (DMA or plain).",
       "the pfn, both paths"},
      {"dma-free-mismatch", K::caller, c_dma | c_frees, true, true, false,
       "A DMA free gives back exactly a range that one DMA allocation handed out.",
       "both ranges"},
      {"unknown-free", K::caller, pages | c_frees, true, true, false, "Only live pages are given back.",
       "the pfn"},
      {"leak", K::caller, pages | c_frees, true, true, false,
       "When drained, no page is live and the pool's free count equals its size.",
       "each live allocation: who took it and when"},
      {"spurious-enomem", K::liveness, pages, true, false, false,
       "An allocation fails although free pool pages and unused whole sections of the target still hold it.",
       "the request, the free pool pages and unused sections that hold it"},
      {"ram-stolen", K::liveness, pages | c_ram_taken, true, false, false,
       "A path that could use unpopulated space takes real RAM instead.",
       "the allocation and the unpopulated space that could hold it"},
  };
  return t;
}

const RuleInfo* find_rule(std::string_view id) {
  for (const auto& r : rule_table())
    if (id == r.id) return &r;
  return nullptr;
}

std::string concerns_text(std::uint8_t c) {
  static const std::pair<Concern, const char*> names[] = {{c_growth, "growth"},   {c_plain, "plain pages"},
                                                         {c_dma, "DMA pages"},   {c_frees, "frees"},
                                                         {c_counts, "counts"},   {c_ram_taken, "RAM taken"}};
  std::string out;
  for (const auto& [bit, name] : names)
    if (c & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  return out.empty() ? "the layout" : out;
}

std::vector<std::string> rules_of(std::initializer_list<RuleKind> kinds) {
  std::vector<std::string> out;
  for (const auto& r : rule_table())
    for (RuleKind k : kinds)
      if (r.kind == k) out.emplace_back(r.id);
  return out;
}

}  // namespace unpop
