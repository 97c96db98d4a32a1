#pragma once
/// Report stage (docs/replay.md, "Stages"): findings -> the Result.
///
/// Findings come from the invariant Checker (taken at each collect()) and from the replay
/// itself (held: orphan pages, region mismatches, anonymous over-frees). collect() files them
/// at the cursor's event: violations, liveness findings, or warnings when the state cannot
/// vouch for them (history hidden by a lost-events marker, pages given back without page
/// events, an order or pool extent that is no longer known). Warnings, `unchecked` notes and
/// other events are bounded; the verdict is decided at finish().
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/invariants/checker.h"
#include "traces/record.h"
#include "traces/replay/context.h"
#include "traces/replay/counterexample.h"
#include "traces/replay/cursor.h"
#include "traces/replay/types.h"

namespace unpop::replay {

/// What the model-driven state can no longer vouch for: such findings are dropped or warnings.
struct Doubts {
  bool order_unknown = false;  // order-mismatch dropped: the LIFO reference is lost
  bool pool_unknown = false;   // not-in-pool dropped: a growth of unknown range
  bool uncertain = false;      // leak is a warning: known pages were given back without page events
};

class Collector {
 public:
  /// `cex` (may be null) learns where the first violation is.
  Collector(const Options& opt, const Cursor& cursor, const ContextRing& ring, Counterexample* cex);
  /// A copy (a lockstep candidate split off: lockstep.h) reports with its own options and
  /// counterexample, given by rebind(); cursor and ring are the trace's, shared.
  Collector(const Collector&) = default;
  Collector& operator=(const Collector&) = delete;
  void rebind(const Options& opt, Counterexample* cex) {
    opt_ = &opt;
    cex_ = cex;
  }

  void warn(std::string kind, const Where& at, std::string message);
  void unchecked(std::string note);
  /// A finding of the replay's own, filed at the next collect().
  void hold(Finding f) { held_.push_back(std::move(f)); }
  /// The kernel left the variant at the cursor's event. The first divergence is kept (after a
  /// lost-events marker it is a warning: the history it rests on may be hidden); it does not
  /// stop the replay, since the rules that need only the trace are still checked.
  void diverge(std::string kind, std::string model, std::string kernel, std::string message,
               const Finding& pages);
  bool diverged() const { return res_.divergence.has_value(); }
  /// Files held findings and the checker's new ones at the cursor's event. Nothing happens
  /// before the checker exists (held findings wait for it).
  void collect(Checker* checker, const Doubts& doubts);

  void count_event() { ++res_.events; }
  void other_event(std::string_view name);
  void unknown_event(const traces::Record& r);  // a xen_unpop_* event the contract lacks
  void lost_events(const traces::Record& r);    // from here history-dependent findings are warnings
  void fail(InputError e);

  bool stopped() const { return stop_; }
  /// Counted warnings beyond the listed ones, and the verdict.
  void finish(const std::string& last_file);
  const Result& result() const { return res_; }

 private:
  const Options* opt_;
  const Cursor& cur_;
  const ContextRing& ring_;
  Counterexample* cex_;
  Result res_;
  bool stop_ = false;
  std::vector<Finding> held_;
  std::string lost_marker_;
  std::set<std::string, std::less<>> unknown_names_;
  std::map<std::string, std::uint64_t, std::less<>> warn_counts_;
};

}  // namespace unpop::replay
