#pragma once
/// The interface between attribution (stage 2) and the model-driven state (stage 3), see
/// docs/replay.md, "Stages": finished calls with their pages, and the few questions
/// attribution must ask of a variant's state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/core/observer.h"
#include "model/core/page_seq.h"
#include "model/invariants/finding.h"
#include "traces/replay/decode.h"
#include "traces/replay/types.h"

namespace unpop::replay {

struct GrowthCall {
  int pool = kMainPool;
  std::uint64_t nr = 0;
  std::optional<Range> range;  // nullopt: failed, or the range is unknown
  int ret = 0;
  std::optional<std::uint64_t> list_count;
};

/// Page events are emitted where the kernel takes a page off its list or puts it back, under
/// the lock, so their trace order is the list's order, whatever order the summaries come in.
/// A call's pages are therefore applied at their page events: when another task's page event
/// (or growth) comes while a task's pages wait for their summary, attribution hands those pages
/// over at once as a *part* (`part`: applied now, the summary follows), and the summary then
/// only closes the call: `applied` leading pages of `pages` were handed over before.
struct AllocCall {
  Path path = Path::plain;
  std::uint64_t nr = 0;
  int ret = 0;
  PageSeq pages;           // empty: the capture had no page events for it (anonymous)
  std::string_view owner;  // comm-pid, or the DMA device
  std::optional<std::uint64_t> list_count;
  bool part = false;         // pages applied ahead of the summary (nr is their number)
  std::uint64_t applied = 0;  // the summary: how many leading pages were applied as parts
};

struct FreeCall {
  Path path = Path::plain;
  std::uint64_t nr = 0;
  PageSeq pages;
  std::string_view owner;
  std::optional<std::uint64_t> list_count;
  bool part = false;
  std::uint64_t applied = 0;
};

/// What consumes attribution's calls: the model-driven state of a variant (ModelState).
class CallSink {
 public:
  virtual ~CallSink() = default;

  // The calls, in trace order. Findings they raise belong to the cursor's event.
  virtual void growth(const GrowthCall& g) = 0;
  virtual void alloc(AllocCall&& c) = 0;
  virtual void free(FreeCall&& c) = 0;

  // Report: findings so far go to the cursor's event; trace-only findings, warnings, notes.
  virtual void collect() = 0;
  virtual void hold(Finding f) = 0;
  virtual void warn(std::string kind, const Where& at, std::string message) = 0;
  virtual void unchecked(std::string note) = 0;

  // Questions attribution cannot answer from the trace alone.
  /// The pfn of a page event (`pfn=`, or `page=` through the struct page base, which the state
  /// may derive). A page handed out also closes the window in which the base can be derived.
  virtual Pfn page_pfn(const Event& e, bool alloc) = 0;
  virtual bool struct_page_base_known() const = 0;
  /// A free probe's `pages={...}` array as pfns (the base is known).
  virtual PageSeq pages_array(const Event& e) = 0;
  /// A successful growth of unknown range: the pool's extent is unknown from here on.
  virtual void pool_extent_unknown() = 0;
  /// Does a growth that names no pool wait for its task's next summary to tell (a DMA pool of
  /// its own grows by the same event as the list)?
  virtual bool pool_from_next_summary() const = 0;
};

}  // namespace unpop::replay
