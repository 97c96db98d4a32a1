#pragma once
/// Model-driven state (docs/replay.md, "Stages"): pages of calls captured without page events.
///
/// A summary with no page events (a probe on an unpatched kernel) hands out or gives back pages
/// nobody can name. They are counted per path, so counts and totals stay checked; a stretch of
/// calls during which some are live is listed in `unchecked` with the rules that could not be
/// checked there. A free of more anonymous pages than are live gives back known pages without
/// saying which: those are counted as uncertain until a hand-out shows which they were.
#include <algorithm>
#include <cstdint>
#include <string>

#include "traces/replay/collector.h"
#include "traces/replay/cursor.h"

namespace unpop::replay {

class AnonPages {
 public:
  AnonPages(const Cursor& cursor, Collector& out) : cur_(cursor), out_(&out) {}
  AnonPages(const AnonPages&) = default;  // a copy reports to the Collector rebind() gives
  AnonPages& operator=(const AnonPages&) = delete;
  void rebind(Collector& out) { out_ = &out; }

  std::uint64_t live() const { return live_[0] + live_[1]; }
  std::uint64_t live(int path) const { return live_[path]; }  // 0 plain, 1 DMA
  /// `delta` pages of `path` handed out (> 0) or given back (< 0); a change that makes the first
  /// page live opens a stretch, one that leaves none live closes it.
  void change(int path, std::int64_t delta);
  /// Lists the current stretch in `unchecked` (the first few; the rest are counted).
  void close_stretch(bool at_end);

  std::uint64_t uncertain() const { return uncertain_; }
  void add_uncertain(std::uint64_t n) { uncertain_ += n; }
  void drop_uncertain(std::uint64_t n) { uncertain_ -= std::min(uncertain_, n); }

 private:
  const Cursor& cur_;
  Collector* out_;
  std::uint64_t live_[2] = {0, 0};  // handed out without page events, still live (plain, dma)
  std::uint64_t uncertain_ = 0;     // known pages given back without page events (which: unknown)
  std::uint64_t stretch_start_ = 0;
  std::string stretch_file_;
  std::uint64_t stretch_calls_ = 0;
  std::size_t stretches_ = 0;
};

}  // namespace unpop::replay
