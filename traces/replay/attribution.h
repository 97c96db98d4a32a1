#pragma once
/// Stage 2 of the replay (docs/replay.md, "Stages"): page events -> the calls they belong to.
///
/// The contract prints a call as its page events followed (or, for a probe on a free's entry,
/// preceded) by one summary, with other tasks' events in between. Attribution keeps, per task,
/// the pages of the calls in progress and hands each finished call to a CallSink: growths,
/// allocations and frees with their pages, at the event whose findings they are. Pages that
/// never get their summary are reported here (count-mismatch, or `incomplete` at the end).
///
/// Attribution knows nothing of the allocator's state or the variant: where it needs one (the
/// pfn of a `page=` pointer, whether the LIFO order is still followed, whether a growth's pool
/// is decided by the next summary), it asks the sink. That keeps one attribution per trace when
/// several candidate variants are replayed in lockstep: the sink then fans the calls out.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/core/geometry.h"
#include "traces/replay/calls.h"
#include "traces/replay/cursor.h"
#include "traces/replay/decode.h"

namespace unpop::replay {

class Attributor {
 public:
  Attributor(const Geometry& geo, Cursor& cursor, CallSink& sink);
  ~Attributor();
  Attributor(const Attributor&) = delete;
  Attributor& operator=(const Attributor&) = delete;

  void page(const Event& e);    // xen_unpop_{,dma_}{alloc,free}_page
  void growth(const Event& e);  // xen_unpop_fill_list
  void alloc(const Event& e);   // xen_unpop_{,dma_}alloc
  void free(const Event& e);    // xen_unpop_{,dma_}free
  /// An event outside the contract: a task that was between an entry probe and its pages, or
  /// between a growth's two halves, has moved on.
  void other(std::int64_t pid);
  /// End of input: closes what is still open; pages without summary are `incomplete`.
  void finish();

 private:
  struct Pending;
  struct Task;

  Task& task(const Event& e);
  std::optional<int> growth_pool(const Event& e);
  void settle(Task& t);
  void close_open_free(Task& t);
  void flush_orphans(Task& t, bool at_end);
  void flush_others(Task& t, Pending& mine);  // orphans of every list but `mine`
  void flush_deferred(Task& t, int pool);
  void busy(Task& t);                // t has pages or an open free waiting for their summary
  void hand_over_others(Task& me);   // lock order: other tasks' list pages go to the sink now
  void hand_over(Task& t, bool alloc);
  void open_free(const Event& e, Task& t, std::string_view dev, std::optional<std::uint64_t> nr);

  Geometry geo_;
  Cursor& cur_;
  CallSink& sink_;
  std::unordered_map<std::int64_t, std::unique_ptr<Task>> tasks_;  // never erased
  std::int64_t last_pid_ = 0;
  Task* last_task_ = nullptr;  // task() found it last
  std::vector<Task*> busy_;  // tasks that may have pages waiting (usually zero to two)
};

}  // namespace unpop::replay
