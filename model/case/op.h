#pragma once
/// One operation of a case, as a line of the `simulate` script language (docs/script.md):
///   alloc N                      xen_alloc_unpopulated_pages(N)
///   free #K [OFFSET COUNT]       xen_free_unpopulated_pages of op K's pages (or a slice)
///   dma_alloc N [DEV] [mask=B]   gnttab_dma_alloc_pages(N) for device DEV (mask bits B)
///   dma_free #K [OFFSET COUNT]   gnttab_dma_free_pages of op K's pages (or a slice)
///   free_pfn PFN N               give back N raw pages from PFN (caller misuse)
///   dma_free_pfn PFN N           the same through the DMA free
///   fail POINT [NTH]             arm a fault: POINT fails at its NTH hit from now (default 1)
///   claim START-END NAME         a driver request_resource()s MMIO in iomem_resource
///   hotplug START-END            memory hot-plug adds System RAM
///   drain                        all users are gone: live pages are leaks
/// Any line may start with `@1 ` to run it as caller 1 (two-caller cases). `#` starts a comment.
#include <cstdint>
#include <optional>
#include <string>

#include "model/core/page_seq.h"
#include "model/core/range.h"
#include "model/linux/faults.h"

namespace unpop {

struct Op {
  enum class Kind { alloc, free, dma_alloc, dma_free, free_pfn, dma_free_pfn, fail, claim, hotplug, drain };
  Kind kind = Kind::alloc;
  std::uint64_t nr = 0;                  // alloc/dma_alloc pages; *_pfn page count
  int ref = -1;                          // free/dma_free: the op index whose pages go back
  std::uint64_t offset = 0;              // slice of the referenced pages
  std::optional<std::uint64_t> count;
  Pfn pfn = 0;                           // *_pfn
  std::string dev = "gntdev";
  unsigned mask_bits = 64;
  FaultPoint point = FaultPoint::kzalloc;
  unsigned nth = 1;
  Range range{};
  std::string name;
  int caller = 0;

  std::string text() const;
  bool is_alloc() const { return kind == Kind::alloc || kind == Kind::dma_alloc; }
};

/// Parses one script line (without comment). Throws std::invalid_argument with what was
/// expected; the caller adds file and line.
Op parse_op(const std::string& line);

}  // namespace unpop
