#pragma once
/// Stage 1 of the replay (docs/replay.md, "Stages"): a trace record -> a contract event.
///
/// The event's kind (one of the contract's xen_unpop_* events) and every field the contract
/// defines for that kind are read once here, whatever the variant: the same decoded event can
/// feed several candidate variants. Nothing here throws while decoding. A field the event
/// printed but not as the contract says is remembered, and the accessor that hands it out
/// throws the contract's InputError (file, line, what was expected): the replay raises it where
/// it first needs that field, after what the event's earlier steps did (closing an open free,
/// settling a growth), so a malformed field and the findings before it are reported as before.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/core/observer.h"
#include "model/core/range.h"
#include "traces/record.h"
#include "traces/replay/types.h"

namespace unpop::replay {

/// The contract's events (xen_unpop_*), named once: the replay dispatches on the kind and the
/// context ring stores it instead of copying the name of every event.
enum class Ev : std::uint8_t {
  other,    // not in the xen_unpop group
  unknown,  // in the group but not in the contract
  region, init, alloc_page, free_page, dma_alloc_page, dma_free_page, fill_list, alloc, free, dma_alloc, dma_free
};
/// The event's name ("" for other and unknown).
std::string_view event_name(Ev e);
/// The kind of an event name (called for every event: a switch on the length, one compare).
Ev event_kind(std::string_view name);

/// One entry of a free probe's `pages={...}` array: a struct page pointer, or text that is not
/// a number (value nullopt).
struct PagePointer {
  std::optional<std::uint64_t> value;
  std::string_view text;  // into the record: valid while the event is replayed
};

struct RegionFields {
  bool ext = false;  // kind=ext (else kind=unavailable)
  Range range;
};

struct InitFields {
  Target target = Target::none;
  std::uint64_t start = 0, end = 0;
  std::int64_t ret = 0;
};

/// A decoded contract event. Reused from event to event (its buffers keep their capacity).
class Event {
 public:
  Ev kind = Ev::other;
  const traces::Record* rec = nullptr;  // where it is (file, line, task, timestamp) and its text

  bool probe() const { return rec->probe.present; }  // printed by a kprobe/uprobe
  bool probe_entry() const { return rec->probe.present && !rec->probe.is_return; }
  Path path() const;  // DMA events: Path::dma
  Where where() const;

  // Numbers: nullopt when absent; the contract's InputError when present but not a number.
  std::optional<std::uint64_t> nr_pages() const { return u64(nr_pages_, "nr_pages"); }
  std::optional<std::int64_t> ret() const { return s64(ret_, "ret"); }
  std::optional<std::uint64_t> start() const { return u64(start_, "start"); }
  std::optional<std::uint64_t> end() const { return u64(end_, "end"); }
  std::optional<std::uint64_t> list_count() const { return u64(list_count_, "list_count"); }
  std::optional<std::uint64_t> pfn() const { return u64(pfn_, "pfn"); }
  /// `page=` (a struct page pointer; only read when the event has no pfn=).
  std::optional<std::uint64_t> page() const { return u64(page_, "page"); }

  /// fill_list: `name=` (unquoted) and `pool=`.
  const std::optional<std::string>& name() const { return name_; }
  const std::optional<std::string>& pool() const { return pool_; }
  bool has_pool() const { return has_pool_; }
  /// DMA summaries: `dev=`, "dma" when absent.
  const std::string& dev() const { return dev_; }
  /// Free summaries: `pages=` printed at all, and as one `{...}` array.
  bool has_pages() const { return has_pages_; }
  bool pages_braced() const { return pages_braced_; }
  const std::vector<PagePointer>& pages() const { return pages_; }

  /// region and init: every field checked, in the contract's order.
  RegionFields region() const;
  InitFields init() const;
  /// Missing fields of a tracepoint summary or growth (a probe may leave them out); called
  /// after the fields were read (a malformed one has thrown by then).
  void require_alloc_fields() const;   // nr_pages= and ret=
  void require_free_fields() const;    // nr_pages=
  void require_growth_fields() const;  // nr_pages=, start=, end= and ret=
  /// A page event with neither pfn= nor page=.
  [[noreturn]] void missing_page() const;
  /// An error at this event.
  [[noreturn]] void fail(std::string message) const;

 private:
  friend void decode(const traces::Record& r, Event& out);
  template <class T>
  struct Num {
    std::optional<T> value;
    bool malformed = false;
  };
  std::optional<std::uint64_t> u64(const Num<std::uint64_t>& n, std::string_view key) const {
    if (n.malformed) malformed_u64(key);
    return n.value;
  }
  std::optional<std::int64_t> s64(const Num<std::int64_t>& n, std::string_view key) const {
    if (n.malformed) malformed_s64(key);
    return n.value;
  }
  [[noreturn]] void malformed_u64(std::string_view key) const;
  [[noreturn]] void malformed_s64(std::string_view key) const;
  std::uint64_t required(const Num<std::uint64_t>& n, std::string_view key) const;
  static Num<std::uint64_t> read_u64(const traces::Record& r, std::string_view key);
  static Num<std::int64_t> read_s64(const traces::Record& r, std::string_view key);
  void read_pages(std::string_view raw);

  Num<std::uint64_t> nr_pages_, start_, end_, list_count_, pfn_, page_;
  Num<std::int64_t> ret_;
  std::optional<std::string> name_, pool_, label_;  // label_: region kind= or init target=
  bool has_pool_ = false, has_pages_ = false, pages_braced_ = false;
  std::string dev_;
  std::vector<PagePointer> pages_;
};

/// Decodes `r` into `out` (never throws; see the top of this file).
void decode(const traces::Record& r, Event& out);

}  // namespace unpop::replay
