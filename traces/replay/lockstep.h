#pragma once
/// `--variant auto` (docs/replay.md, "Which variant"): every candidate variant replays the
/// trace in lockstep. Decoding, attribution, the cursor and the context ring are the trace's and
/// are shared; each candidate has its own model-driven state, report and counterexample. A
/// candidate drops out at its first divergence while another is still in the running (the
/// last one goes on, so that the rules that need only the trace are checked to the end).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/core/geometry.h"
#include "model/layout/layout.h"
#include "traces/replay/calls.h"
#include "traces/replay/collector.h"
#include "traces/replay/context.h"
#include "traces/replay/counterexample.h"
#include "traces/replay/cursor.h"
#include "traces/replay/state.h"
#include "traces/replay/types.h"

namespace unpop::replay {

/// The variants `auto` starts from: every registered one some kernel implements
/// (VariantInfo::auto_candidate) whose native arch (if any) is the layout's, in registration
/// order (the order of choice among those that fit).
std::vector<std::string> auto_candidates(const Layout& layout);

struct Candidate {
  Candidate(const Layout& layout, const Geometry& geo, Options o, Cursor& cursor, const ContextRing& ring);
  Options opt;  // opt.variant: this candidate
  Counterexample cex;
  Collector out;
  ModelState state;
  bool live = true;
};

/// The CallSink attribution talks to: each call goes to every live candidate.
class FanOut final : public CallSink {
 public:
  explicit FanOut(std::vector<std::unique_ptr<Candidate>>& cands) : c_(cands) {}

  void growth(const GrowthCall& g) override;
  void alloc(AllocCall&& c) override;
  void free(FreeCall&& c) override;
  void collect() override;
  void hold(Finding f) override;
  void warn(std::string kind, const Where& at, std::string message) override;
  void unchecked(std::string note) override;
  Pfn page_pfn(const Event& e, bool alloc) override;
  bool struct_page_base_known() const override;
  PageSeq pages_array(const Event& e) override;
  void pool_extent_unknown() override;
  bool pool_from_next_summary() const override;

  /// Drops candidates that diverged, while another one is still live.
  void prune();
  std::size_t live() const;
  Candidate& first_live() const;

 private:
  Candidate* last_live() const;  // the last live one in order (prune() always leaves one)
  std::vector<std::unique_ptr<Candidate>>& c_;
};

}  // namespace unpop::replay
