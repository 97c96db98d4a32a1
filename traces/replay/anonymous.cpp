#include "traces/replay/anonymous.h"

#include <fmt/format.h>

namespace unpop::replay {

namespace {
constexpr std::size_t kMaxStretches = 20;
}

void AnonPages::change(int path, std::int64_t delta) {
  const bool was = live() > 0;
  live_[path] = static_cast<std::uint64_t>(static_cast<std::int64_t>(live_[path]) + delta);
  const bool now = live() > 0;
  ++stretch_calls_;
  if (!was && now) {
    const Where at = cur_.where();
    stretch_file_ = at.file;
    stretch_start_ = at.line;
    stretch_calls_ = 1;
  }
  if (was && !now) close_stretch(false);
}

void AnonPages::close_stretch(bool at_end) {
  if (stretches_++ < kMaxStretches) {
    const Where at = cur_.where();
    out_->unchecked(fmt::format(
        "{}:{}-{}: {} calls without page events (anonymous pages, {} live at the {}): not-in-pool, double-alloc, "
        "unknown-free, double-free, mixed-free, not-contiguous and ram/device overlap of those pages not checked; "
        "counts and totals checked",
        stretch_file_, stretch_start_, at_end ? std::string("end") : std::to_string(at.line), stretch_calls_,
        at_end ? live() : 0, at_end ? "end" : "close"));
  } else if (stretches_ == kMaxStretches + 1) {
    out_->unchecked("... more stretches of anonymous pages (not listed)");
  }
}

}  // namespace unpop::replay
