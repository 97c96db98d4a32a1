#pragma once
/// Seeded bugs, each switchable by name (`--mutant NAME`). The checkers must kill every one.
#include <cstdint>
#include <string>
#include <vector>

namespace unpop {

enum class Mutant : std::uint8_t {
  none,
  range_end_off_by_one,  // fill: res->end = start + size (one byte too far)
  no_section_align,      // fill: allocate_resource with align = PAGE_SIZE
  fifo_order,            // free list taken FIFO instead of LIFO
  list_count_stale,      // free: list_count not incremented
  dma_free_to_list,      // RFC: DMA pages pushed to page_list instead of gen_pool_free
  no_rollback,           // fill: error path after allocate_resource does not release res
  overlapping_growth,    // allocate_resource ignores existing children
  dma_reverse,           // DMA alloc: pages[] filled from the top of the range down
  no_holes,              // Arm init: "Unavailable space" holes not inserted
  pop_extra,             // alloc: pops nr_pages + 1 pages (loop runs to i <= nr_pages)
  count_
};

/// Which code a mutant changes, hence which variants have it (model/variants/registry.h
/// answers per variant from its traits).
enum class MutantScope : std::uint8_t {
  growth,       // the growth path every variant shares (fill, allocate_resource, rollback)
  lifo_list,    // page_list and list_count
  own_dma_pool, // a DMA genpool of its own (the RFC)
  pool_dma,     // DMA pages taken from unpopulated space (not CMA RAM)
  arm_holes,    // the Arm arch init's "Unavailable space" holes
};

struct MutantInfo {
  Mutant id;
  const char* name;
  const char* what;
  MutantScope scope;  // where the mutated code exists
};

const std::vector<MutantInfo>& mutant_table();
bool parse_mutant(const std::string& s, Mutant& out);
const char* to_string(Mutant m);

}  // namespace unpop
