#pragma once
/// Trace replay: turns parsed trace records (traces/record.h) into the model's Observer calls
/// on the invariant Checker, event by event, and collects what broke (contract:
/// docs/trace-events.md; docs/replay.md).
///
/// The Replayer wires the stages (docs/replay.md, "Stages"): decode (decode.h) -> attribution
/// of page events to calls (attribution.h) -> the model-driven state of the variant (state.h)
/// -> the report (collector.h, context.h, counterexample.h).
///
/// Streaming: the state kept is the checker's (live pages, pool, live allocations), the pages of
/// calls still in progress per task, a bounded ring of recent events for context, and a bounded
/// number of report entries. Nothing grows with the length of the trace unless a counterexample
/// (`--cex`) is asked for.
#include <memory>
#include <string>
#include <vector>

#include "model/case/case.h"
#include "model/core/geometry.h"
#include "model/invariants/checker.h"
#include "model/layout/layout.h"
#include "traces/record.h"
#include "traces/replay/types.h"

namespace unpop::replay {

class Replayer {
 public:
  /// Throws LoadError for an unknown variant or page size.
  Replayer(Layout layout, const Geometry& geo, Options opt);
  ~Replayer();

  /// Feeds one record (events, lost markers and comments). Returns false when the replay is
  /// over: the first violation (without --all) or an input error (see result().error).
  bool feed(const traces::Record& r);
  /// End of input: closes calls still open, applies --drained, finishes the report.
  void finish();
  /// Records an input error (unreadable verdict).
  void fail(InputError e);

  const Result& result() const;
  const Checker* checker() const;
  /// The replayed events as a case (when Options::build_cex): ops, layout, variant, rule.
  Case counterexample() const;

 private:
  struct Stages;
  std::unique_ptr<Stages> s_;
};

/// Replays several inputs (merged by timestamp across files, file order within a file).
/// `readers` come from traces::open_trace. Input errors end the replay with `unreadable`.
Result replay_files(const std::vector<std::string>& files, Replayer& rep);

/// Replays tracefs text held in memory (`name` is what reports call it): a kernel's trace
/// recorded by the conformance harness, or a test's. A line it cannot read ends the replay with
/// `unreadable`, as a file would.
Result replay_text(const std::string& name, const std::string& text, Replayer& rep);

}  // namespace unpop::replay
