#pragma once
/// The genpool side the RFC (its DMA pool) and V1 (its single pool) share: a growth that ends
/// in gen_pool_add_virt(), gen_pool_free() with the kernel's BUG()s, counts and description.
#include <cstdint>
#include <string>
#include <vector>

#include "model/linux/genpool.h"
#include "model/linux/kernel.h"

namespace unpop {

/// fill_dma_pool() (RFC) / fill_pool() (V1): one section-rounded growth that becomes a new
/// chunk; a gen_pool_add failure unwinds the whole growth.
int fill_genpool(Kernel& k, GenPool& pool, std::uint64_t nr, const char* name, int pool_id, bool tmp_res_slip);
/// gen_pool_free(); a BUG() of genalloc oopses the kernel. Returns false then.
bool genpool_free(Kernel& k, GenPool& pool, Pfn first, std::uint64_t n);
void report_genpool_counts(Kernel& k, const GenPool& pool, int pool_id);
void describe_genpool(const GenPool& pool, const char* label, std::vector<std::string>& out);

}  // namespace unpop
