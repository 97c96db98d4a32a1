#pragma once
/// One allocator design over the shared kernel world. Each variant is a small file:
/// upstream.cpp (mainline, also `x86`), rfc.cpp (May 2022 RFC), v1.cpp (June 2022 V1),
/// proposed.cpp (our design). docs/variants.md cites each one's source.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/core/page_seq.h"
#include "model/linux/kernel.h"
#include "model/variants/registry.h"

namespace unpop {

/// What one call returned to its caller.
struct OpResult {
  int ret = 0;
  PageSeq pages;          // pages[] as filled, on success
  Source source = Source::pool;
  bool fault_fired = false;
  std::string note;       // e.g. "fell back to dma_alloc_coherent"
  std::string fault_point;  // the injected failure's point (the last one, if several fired)
};

/// The device of a DMA request (gnttab_dma_alloc_args.dev): gntdev's misc device has a
/// 64-bit mask (dma_coerce_mask_and_coherent(..., DMA_BIT_MASK(64))).
struct Device {
  std::string name = "gntdev";
  unsigned dma_mask_bits = 64;
};

/// One caller's operation in progress, as a sequence of atomic steps. Steps inside a
/// mutex-protected region are one step (the lock makes them atomic for other callers); the
/// RFC's unlocked DMA path is several, so two callers can interleave between them.
class Task {
 public:
  using Step = std::function<bool(OpResult&)>;  // returns false when the call has returned
  explicit Task(std::vector<Step> steps, std::vector<std::string> names = {})
      : steps_(std::move(steps)), names_(std::move(names)) {}
  /// Runs the next step; true when the call has returned.
  bool step();
  bool done() const { return done_; }
  std::size_t steps_taken() const { return next_; }
  /// What the atomic step just taken did, in the kernel's words (explore's interleaving).
  std::string last_step_name() const;
  const OpResult& result() const { return result_; }

 private:
  std::vector<Step> steps_;
  std::vector<std::string> names_;  // one per step, or none (a one-step call under its lock)
  std::size_t next_ = 0;
  bool done_ = false;
  OpResult result_;
};

struct CallCtx {
  int caller = 0;
  std::string owner;  // who calls (device or "caller N"), for the checker's leak report
};

class Variant {
 public:
  virtual ~Variant() = default;
  /// unpopulated_init(): picks the target (arch init) and sets up the pools.
  virtual int init(Kernel& k) = 0;
  /// xen_alloc_unpopulated_pages(nr, pages)
  virtual std::unique_ptr<Task> alloc(Kernel& k, const CallCtx& c, std::uint64_t nr) = 0;
  /// xen_free_unpopulated_pages(nr, pages)
  virtual std::unique_ptr<Task> free(Kernel& k, const CallCtx& c, const PageSeq& pages) = 0;
  /// gnttab_dma_alloc_pages(): the grant table's DMA path as this variant has it.
  virtual std::unique_ptr<Task> dma_alloc(Kernel& k, const CallCtx& c, std::uint64_t nr, const Device& d) = 0;
  /// gnttab_dma_free_pages()
  virtual std::unique_ptr<Task> dma_free(Kernel& k, const CallCtx& c, const PageSeq& pages, const Device& d) = 0;
  /// Reports list_count / gen_pool_avail against what the structures hold.
  virtual void report_counts(Kernel& k) const = 0;
  /// Human-readable state lines (free list head, chunks), for step-by-step output and diffs.
  virtual std::vector<std::string> describe() const = 0;
  /// Free pages the variant holds, per pool (for tests and the checker's cross-checks).
  virtual std::uint64_t free_pages() const = 0;
};

}  // namespace unpop
