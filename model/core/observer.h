#pragma once
/// What the allocator does that a checker can see. The model calls these as it runs; the
/// invariant checker (model/invariants) implements them, and the trace replayer feeds the same
/// calls from trace events. So "the model said so" and "the trace said so" are checked alike.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/core/page_seq.h"
#include "model/core/range.h"

namespace unpop {

enum class Path : std::uint8_t { plain, dma };     // xen_*_unpopulated_pages vs the DMA helpers
enum class Source : std::uint8_t { pool, ram };    // unpopulated pool vs real RAM (balloon/CMA)
enum class Target : std::uint8_t { none, iomem, xen_resource };
const char* to_string(Path p);
const char* to_string(Source s);
const char* to_string(Target t);

/// Pool ids: the upstream list / V1 / proposed single pool is 0, the RFC's DMA genpool is 1.
inline constexpr int kMainPool = 0;
inline constexpr int kDmaPool = 1;

struct AllocEvent {
  Path path = Path::plain;
  Source source = Source::pool;
  int caller = 0;
  std::string owner;        // device or caller name, for leak reports
  std::uint64_t nr_pages = 0;
  int ret = 0;
  PageSeq pages;            // in the order pages[] was filled
  bool fault_fired = false; // an injected failure happened during this call
  Addr max_addr = ~Addr{0}; // DMA: the highest address the device can reach (its mask)
};

struct FreeEvent {
  Path path = Path::plain;
  Source source = Source::pool;
  int caller = 0;
  std::string owner;
  std::uint64_t nr_pages = 0;
  PageSeq pages;
};

/// Counts as the variant itself keeps them (list_count, gen_pool_avail) and as its data
/// structure really holds them (length of page_list, sum of free runs).
struct CountReport {
  int pool = kMainPool;
  std::uint64_t counter = 0;   // list_count / gen_pool_avail
  std::uint64_t actual = 0;    // pages really on the list / free in the chunks
  std::uint64_t pool_pages = 0;
};

class Observer {
 public:
  virtual ~Observer() = default;
  /// End of unpopulated_init: the target Linux built, its span and the holes it inserted.
  virtual void target_built(Target, std::optional<Range> /*span*/, const std::vector<Range>& /*holes*/,
                            int /*ret*/) {}
  /// One growth attempt (fill_list, fill_dma_pool, fill_pool): the range on success.
  virtual void growth(int /*pool*/, std::uint64_t /*nr_pages*/, std::optional<Range> /*range*/, int /*ret*/) {}
  virtual void allocated(const AllocEvent&) {}
  virtual void freed(const FreeEvent&) {}
  virtual void counts(const CountReport&) {}
  /// Pages put into a pool without a growth (x86: xen_extra_mem seeded at init).
  virtual void seeded(int /*pool*/, const Range& /*range*/) {}
  /// Another user of iomem_resource appeared at run time (a driver's MMIO, hot-plugged RAM).
  virtual void claimed(const Range&, const std::string& /*name*/, bool /*is_ram*/) {}
  /// The modelled kernel hit BUG() or dereferenced NULL: `what` says where.
  virtual void kernel_bug(const std::string& /*what*/) {}
};

}  // namespace unpop
