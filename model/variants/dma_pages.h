#pragma once
/// pages[i] = virt_to_page(vaddr + PAGE_SIZE * i) for a genpool range; the `dma-reverse`
/// mutant fills them from the top down.
#include "model/core/page_seq.h"
#include "model/linux/kernel.h"

namespace unpop {
inline PageSeq range_pages(const Kernel& k, Pfn first, std::uint64_t nr) {
  if (k.mutant_is(Mutant::dma_reverse)) return PageSeq::descending(first + nr - 1, nr);
  return PageSeq::ascending(first, nr);
}
}  // namespace unpop
