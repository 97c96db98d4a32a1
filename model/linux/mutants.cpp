#include "model/linux/mutants.h"

namespace unpop {

const std::vector<MutantInfo>& mutant_table() {
  static const std::vector<MutantInfo> t = {
      {Mutant::none, "none", "the model as the kernel has it", MutantScope::growth},
      {Mutant::range_end_off_by_one, "range-end-off-by-one",
       "growth range end computed as start + size instead of start + size - 1", MutantScope::growth},
      {Mutant::no_section_align, "no-section-align",
       "allocate_resource() called with PAGE_SIZE alignment instead of the memory section", MutantScope::growth},
      {Mutant::fifo_order, "fifo-order", "the free page list is taken FIFO instead of LIFO",
       MutantScope::lifo_list},
      {Mutant::list_count_stale, "list-count-stale",
       "xen_free_unpopulated_pages() pushes pages without incrementing list_count", MutantScope::lifo_list},
      {Mutant::dma_free_to_list, "dma-free-to-list",
       "DMA pages are given back to page_list instead of gen_pool_free()", MutantScope::own_dma_pool},
      {Mutant::no_rollback, "no-rollback",
       "a failed growth does not release the resource it allocated (lost rollback)", MutantScope::growth},
      {Mutant::overlapping_growth, "overlapping-growth",
       "allocate_resource() ignores existing children: growths overlap", MutantScope::growth},
      {Mutant::dma_reverse, "dma-reverse", "DMA pages[] filled from the top of the range down",
       MutantScope::pool_dma},
      {Mutant::no_holes, "no-holes", "Arm init does not insert the \"Unavailable space\" holes",
       MutantScope::arm_holes},
      {Mutant::pop_extra, "pop-extra", "allocation pops nr_pages + 1 pages off the list",
       MutantScope::lifo_list},
  };
  return t;
}

bool parse_mutant(const std::string& s, Mutant& out) {
  for (const auto& m : mutant_table())
    if (s == m.name) {
      out = m.id;
      return true;
    }
  return false;
}

const char* to_string(Mutant m) {
  for (const auto& i : mutant_table())
    if (i.id == m) return i.name;
  return "?";
}

}  // namespace unpop
