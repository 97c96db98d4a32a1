#pragma once
/// Report stage (docs/replay.md, "Stages"): the context of a finding. A bounded ring of the
/// last contract events, each with the span of pages it touched, is searched backwards for
/// the events of the finding's pages (or, for a finding without pages, of the same task).
/// Only trace text is kept, so one ring serves every candidate variant of a trace.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "model/core/geometry.h"
#include "model/invariants/finding.h"
#include "traces/record.h"
#include "traces/replay/decode.h"

namespace unpop::replay {

/// Text of a remembered event: inline up to N bytes (comm is at most 15 in the kernel, a
/// timestamp at most 30, a page event's body ~20), a heap string beyond. Every event is
/// remembered, so this avoids std::string's general assign on the replay's hot path.
template <std::size_t N>
struct InlineText {
  char buf[N];
  std::uint8_t len = 0;  // N + 1: the text is in `big`
  std::string big;
  void assign(std::string_view s) {
    if (s.size() <= N) {
      std::memcpy(buf, s.data(), s.size());
      len = static_cast<std::uint8_t>(s.size());
    } else {
      big.assign(s);
      len = N + 1;
    }
  }
  std::string_view view() const { return len <= N ? std::string_view(buf, len) : std::string_view(big); }
};

class ContextRing {
 public:
  /// `size` events remembered (at least 1), `lines` at most shown per finding.
  ContextRing(const Geometry& geo, std::size_t size, std::size_t lines);

  bool has_files() const { return !files_.empty(); }
  /// The input the next events come from (events store its index, not its name).
  void enter_file(const std::string& file);
  /// A contract event and the pages it touched (lo > hi: none).
  void remember(const traces::Record& r, Ev kind, Pfn lo, Pfn hi);
  /// "file:line: comm-pid [cpu] timestamp: name: body" of the events before `f`, oldest first.
  std::vector<std::string> context_for(const Finding& f, std::int64_t pid) const;

 private:
  struct Entry {
    std::size_t file = 0;
    std::uint64_t line = 0;
    std::int64_t pid = -1;
    Pfn lo = 1, hi = 0;  // lo > hi: no pages
    InlineText<23> comm;
    InlineText<31> timestamp;
    InlineText<63> body;
    Ev kind = Ev::other;  // always a contract event: only those are remembered
    std::int32_t cpu = -1;
  };

  Geometry geo_;
  std::size_t lines_;
  std::vector<Entry> ring_;
  std::size_t next_ = 0;
  std::uint64_t count_ = 0;
  std::vector<std::string> files_;  // input names
  std::size_t file_idx_ = 0;        // the current input's index in files_
};

}  // namespace unpop::replay
