#pragma once
/// The event being replayed, as every stage sees it: which record, which earlier event a
/// deferred call's findings belong to, and which pages the event touches (kept with it in the
/// context ring). One Cursor per trace: with several candidate variants in lockstep it stays
/// shared, because all of it comes from the trace.
#include <algorithm>

#include "model/core/page_seq.h"
#include "traces/record.h"
#include "traces/replay/types.h"

namespace unpop::replay {

inline Where where_of(const traces::Record& r) { return Where{r.file, r.line, r.timestamp, r.comm, r.pid, r.cpu}; }

struct Cursor {
  const traces::Record* rec = nullptr;  // nullptr: past the end of the input
  const Where* override = nullptr;      // findings of a deferred call go to its own event
  Where end;                            // the last input position (end-of-input findings)
  Pfn lo = 1, hi = 0;                   // pages the current event touches (lo > hi: none)

  Where where() const {
    if (override) return *override;
    if (rec) return where_of(*rec);
    return end;
  }
  void span(Pfn l, Pfn h) {
    lo = l;
    hi = h;
  }
  /// The span of `pages` (nothing if empty).
  void touch(const PageSeq& pages) {
    if (pages.empty()) return;
    lo = pages.runs().front().lo();
    hi = lo;
    for (const auto& run : pages.runs()) {
      lo = std::min(lo, run.lo());
      hi = std::max(hi, run.hi());
    }
  }
};

/// Attributes findings to an earlier event (a deferred growth, an entry-style free closed
/// later) while in scope; restores the cursor after.
class AtEvent {
 public:
  AtEvent(Cursor& c, const Where& at, bool clear_span = false)
      : c_(c), saved_(c.override), lo_(c.lo), hi_(c.hi), clear_(clear_span) {
    c_.override = &at;
    if (clear_) c_.span(1, 0);
  }
  ~AtEvent() {
    c_.override = saved_;
    if (clear_) c_.span(lo_, hi_);
  }
  AtEvent(const AtEvent&) = delete;
  AtEvent& operator=(const AtEvent&) = delete;

 private:
  Cursor& c_;
  const Where* saved_;
  Pfn lo_, hi_;
  bool clear_;
};

}  // namespace unpop::replay
