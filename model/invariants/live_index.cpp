#include "model/invariants/live_index.h"

#include <algorithm>

namespace unpop {

void LiveIndex::assign(Block& blk, Pfn lo, Pfn hi, PageTag tag) {
  auto& v = blk.runs;
  // First run that ends at or after lo - 1 (a run touching lo may join).
  const bool absorbed = tag == PageTag{};
  auto first = std::lower_bound(v.begin(), v.end(), lo, [](const Run& r, Pfn x) { return r.hi < x && x - r.hi > 1; });
  // The usual shapes first: a run alone in its gap, or exactly one run given back.
  if (first == v.end() || (first->lo > hi && first->lo - hi > 1)) {
    if (!absorbed) v.insert(first, Run{lo, hi, tag});
    return;
  }
  if (absorbed && first->lo == lo && first->hi == hi) {
    v.erase(first);
    return;
  }
  auto last = first;  // one past the runs overlapping or touching [lo, hi]
  while (last != v.end() && (last->lo <= hi || last->lo - hi == 1)) ++last;
  // What survives of the runs in [first, last): their parts outside [lo, hi], unless they
  // join the new run (same tag, touching).
  Run keep[2];
  int n = 0;
  Run mid{lo, hi, tag};
  for (auto it = first; it != last; ++it) {
    const bool join = !absorbed && it->tag == tag;
    if (it->lo < lo) {
      if (join) mid.lo = std::min(mid.lo, it->lo);
      else keep[n++] = Run{it->lo, std::min(it->hi, lo - 1), it->tag};
    }
    if (it->hi > hi) {
      if (join) mid.hi = std::max(mid.hi, it->hi);
      else keep[n++] = Run{std::max(it->lo, hi + 1), it->hi, it->tag};
    }
  }
  // keep[] holds at most one run left of lo (from the first run) and one right of hi (from the
  // last), in order.
  Run out[3];
  int m = 0;
  for (int i = 0; i < n; ++i)
    if (keep[i].hi < lo) out[m++] = keep[i];
  if (!absorbed) out[m++] = mid;
  for (int i = 0; i < n; ++i)
    if (keep[i].lo > hi) out[m++] = keep[i];
  // Replace [first, last) by out[0..m).
  const auto pos = first - v.begin();
  const auto removed = last - first;
  if (removed >= m) {
    std::copy(out, out + m, first);
    v.erase(first + m, last);
  } else {
    std::copy(out, out + removed, first);
    v.insert(v.begin() + pos + removed, out + removed, out + m);
  }
}

void LiveIndex::set(Pfn lo, Pfn hi, PageTag tag) {
  for (Pfn b = lo >> kBlockShift;; ++b) {
    const Pfn blo = std::max(lo, b << kBlockShift), bhi = std::min(hi, (b << kBlockShift) + kBlockPages - 1);
    Block* blk = const_cast<Block*>(find(b));
    if (!blk) {
      blk = &blocks_[b];
      cache_.b = b;
      cache_.blk = blk;
    } else if (blk->runs.empty()) {
      --empty_;
    }
    assign(*blk, blo, bhi, tag);
    if (b == hi >> kBlockShift) break;
  }
}

void LiveIndex::erase(Pfn lo, Pfn hi) {
  for (Pfn b = lo >> kBlockShift;; ++b) {
    if (Block* blk = const_cast<Block*>(find(b))) {
      const Pfn blo = std::max(lo, b << kBlockShift), bhi = std::min(hi, (b << kBlockShift) + kBlockPages - 1);
      const bool was_empty = blk->runs.empty();
      assign(*blk, blo, bhi, PageTag{});
      if (blk->runs.empty() && !was_empty) ++empty_;
    }
    if (b == hi >> kBlockShift) break;
  }
  // Emptied blocks stay for the next run that lands there (a free then an allocation of the
  // same pages is the LIFO's daily business) until they are half the table: then they go, so
  // memory stays proportional to the live runs.
  if (empty_ > 64 && empty_ * 2 > blocks_.size()) sweep();
}

void LiveIndex::sweep() {
  for (auto it = blocks_.begin(); it != blocks_.end();)
    it = it->second.runs.empty() ? blocks_.erase(it) : std::next(it);
  empty_ = 0;
  cache_.blk = nullptr;
}

std::vector<LiveIndex::Run> LiveIndex::runs() const {
  std::vector<Run> all;
  for (const auto& [b, blk] : blocks_) all.insert(all.end(), blk.runs.begin(), blk.runs.end());
  std::sort(all.begin(), all.end(), [](const Run& a, const Run& b) { return a.lo < b.lo; });
  std::vector<Run> out;
  for (const Run& r : all)
    if (!out.empty() && out.back().hi + 1 == r.lo && out.back().tag == r.tag) out.back().hi = r.hi;
    else out.push_back(r);
  return out;
}

std::size_t LiveIndex::run_pieces() const {
  std::size_t n = 0;
  for (const auto& [b, blk] : blocks_) n += blk.runs.size();
  return n;
}

}  // namespace unpop
