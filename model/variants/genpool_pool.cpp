#include "model/variants/genpool_pool.h"

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"

namespace unpop {

int fill_genpool(Kernel& k, GenPool& pool, std::uint64_t nr, const char* name, int pool_id, bool tmp_res_slip) {
  GrowSpec spec;
  spec.nr_pages = nr;
  spec.alloc_pages = spec::fill_pages(spec::U64{}, nr, k.geo().pages_per_section());
  spec.name = name;
  spec.pool = pool_id;
  spec.tmp_res_slip = tmp_res_slip;
  spec.finish = [&](Range r) {
    // gen_pool_add_virt(pool, vaddr, res->start, alloc_pages * PAGE_SIZE, NUMA_NO_NODE)
    if (k.faults().hit(FaultPoint::gen_pool_add)) return -err::enomem;
    pool.add_chunk(k.geo().pfn(r.start), spec.alloc_pages);
    return 0;
  };
  return k.grow(spec).ret;
}

bool genpool_free(Kernel& k, GenPool& pool, Pfn first, std::uint64_t n) {
  auto res = pool.free(first, n);
  if (res == GenPool::FreeResult::ok) return true;
  const char* why = res == GenPool::FreeResult::bug_no_chunk       ? "BUG(): address in no chunk"
                    : res == GenPool::FreeResult::bug_beyond_chunk ? "BUG_ON(addr + size - 1 > end_addr)"
                                                                   : "BUG_ON(remain): bits already clear";
  k.oops(fmt::format("gen_pool_free({:#x}, {} pages): {}", first, n, why));
  return false;
}

void report_genpool_counts(Kernel& k, const GenPool& pool, int pool_id) {
  std::uint64_t actual = 0;  // what the free runs hold, against chunk->avail
  for (const auto& c : pool.chunks())
    for (const auto& [s, len] : c.free) actual += len;
  k.obs().counts(CountReport{pool_id, pool.avail(), actual, pool.size()});
}

void describe_genpool(const GenPool& pool, const char* label, std::vector<std::string>& out) {
  for (const auto& c : pool.chunks())
    out.push_back(fmt::format("{} chunk pfn {:#x}-{:#x}: avail {} of {} pages, largest free run {}", label, c.first,
                              c.last(), c.avail, c.pages, c.by_len.empty() ? 0 : c.by_len.rbegin()->first));
}

}  // namespace unpop
