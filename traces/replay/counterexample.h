#pragma once
/// Report stage (docs/replay.md, "Stages"): the replayed calls as a case `explore` opens
/// (`--cex`). Ops are calls (alloc N, free #K, ...): the model then chooses its own pages, so
/// caller-side rules replay and allocator-side ones may not (the case says which). This is the
/// one part of the replay whose memory grows with the trace, and only when asked for.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/case/case.h"
#include "model/core/geometry.h"
#include "model/core/observer.h"
#include "model/layout/layout.h"
#include "traces/replay/types.h"

namespace unpop::replay {

class Counterexample {
 public:
  explicit Counterexample(bool on) : on_(on) {}
  bool on() const { return on_; }

  /// An allocation summary (`ok`: it succeeded in the trace) with the pages it got.
  void alloc(Path path, std::uint64_t nr, std::string_view owner, const PageSeq& pages, bool ok);
  /// A free: `free #K` when it gives back allocation K (or its leading part), else by pfn.
  void free(Path path, std::uint64_t nr, const PageSeq& pages);
  void drain();
  /// The first violation: the case fails at the last op.
  void first_violation();
  /// The first divergence: it happened inside the call whose op comes next (a growth, its pages
  /// or its return), so the case stops at that op.
  void first_divergence();
  std::size_t ops() const { return ops_.size(); }

  /// The case: `layout` as the replay used it (regions from the trace included).
  Case build(const Result& r, const Layout& layout, const Geometry& geo, const std::string& variant,
             const std::string& preset) const;

 private:
  bool on_;
  std::vector<std::string> ops_;
  std::vector<PageSeq> pages_;                      // pages each op got (allocations)
  std::unordered_map<Pfn, std::size_t> by_first_;  // first pfn of a live allocation -> op
  std::optional<std::size_t> failing_;
  std::optional<std::size_t> diverging_;
  bool exact_ = true;
  std::vector<std::string> notes_;
};

}  // namespace unpop::replay
