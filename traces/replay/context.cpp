#include "traces/replay/context.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/invariants/checker.h"  // PfnSet

namespace unpop::replay {

namespace icl = boost::icl;

ContextRing::ContextRing(const Geometry& geo, std::size_t size, std::size_t lines)
    : geo_(geo), lines_(lines), ring_(std::max<std::size_t>(size, 1)) {}

void ContextRing::enter_file(const std::string& file) {
  auto it = std::find(files_.begin(), files_.end(), file);
  file_idx_ = static_cast<std::size_t>(it - files_.begin());
  if (it == files_.end()) files_.push_back(file);
}

void ContextRing::remember(const traces::Record& r, Ev kind, Pfn lo, Pfn hi) {
  Entry& e = ring_[next_];
  if (++next_ == ring_.size()) next_ = 0;  // (not %: a division per event)
  ++count_;
  e.file = file_idx_;
  e.line = r.line;
  e.pid = r.pid;
  e.cpu = r.cpu;
  e.lo = lo;
  e.hi = hi;
  e.comm.assign(r.comm);
  e.timestamp.assign(r.timestamp);
  e.kind = kind;
  e.body.assign(r.body);
}

std::vector<std::string> ContextRing::context_for(const Finding& f, std::int64_t pid) const {
  PfnSet pages;
  for (auto p : f.pfns) pages += p;
  for (const auto& nr : f.ranges)
    if (nr.range.valid()) pages += PfnSet::interval_type::closed(geo_.pfn(nr.range.start), geo_.pfn(nr.range.end));
  std::vector<const Entry*> hits;
  const std::size_t n = std::min<std::uint64_t>(count_, ring_.size());
  for (std::size_t k = 0; k < n && hits.size() < lines_; ++k) {
    const Entry& e = ring_[(next_ + ring_.size() - 1 - k) % ring_.size()];
    bool touch = e.lo <= e.hi && icl::intersects(pages, PfnSet::interval_type::closed(e.lo, e.hi));
    // Summaries without pages of the same task belong to the same calls.
    if (!touch && pages.empty()) touch = e.pid == pid;
    if (!touch && e.lo > e.hi && e.pid == pid && hits.size() < 2) touch = true;
    if (touch) hits.push_back(&e);
  }
  std::vector<std::string> out;
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
    const Entry& e = **it;
    out.push_back(fmt::format("{}:{}: {}-{} [{:03}] {}: {}: {}", files_[e.file], e.line, e.comm.view(), e.pid, e.cpu,
                              e.timestamp.view(), event_name(e.kind), e.body.view()));
  }
  return out;
}

}  // namespace unpop::replay
