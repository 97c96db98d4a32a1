#include "model/linux/genpool.h"

#include <algorithm>

namespace unpop {

void GenPool::add_chunk(Pfn first, std::uint64_t pages) {
  Chunk c;
  c.first = first;
  c.pages = pages;
  c.avail = pages;
  c.free.emplace(first, pages);
  c.by_len.emplace(pages, first);
  chunks_.insert(chunks_.begin(), std::move(c));  // list_add_rcu: at the head
}

void GenPool::take(Chunk& c, Pfn start, std::uint64_t len, Pfn at, std::uint64_t n) {
  c.free.erase(start);
  c.by_len.erase({len, start});
  if (at > start) {
    c.free.emplace(start, at - start);
    c.by_len.emplace(at - start, start);
  }
  Pfn after = at + n;
  if (after < start + len) {
    c.free.emplace(after, start + len - after);
    c.by_len.emplace(start + len - after, after);
  }
  c.avail -= n;
}

void GenPool::give(Chunk& c, Pfn first, std::uint64_t n) {
  Pfn s = first;
  std::uint64_t len = n;
  auto next = c.free.lower_bound(first);
  if (next != c.free.end() && next->first == first + n) {  // merge with the run after
    len += next->second;
    c.by_len.erase({next->second, next->first});
    next = c.free.erase(next);
  }
  if (next != c.free.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == first) {  // merge with the run before
      s = prev->first;
      len += prev->second;
      c.by_len.erase({prev->second, prev->first});
      c.free.erase(prev);
    }
  }
  c.free.emplace(s, len);
  c.by_len.emplace(len, s);
  c.avail += n;
}

std::optional<Pfn> GenPool::alloc(std::uint64_t n) {
  if (n == 0) return std::nullopt;  // gen_pool_alloc returns 0 for size 0
  for (Chunk& c : chunks_) {
    if (n > c.avail) continue;
    // gen_pool_best_fit: smallest free run >= n; on equal length the lowest address wins.
    auto it = c.by_len.lower_bound({n, 0});
    if (it == c.by_len.end()) continue;
    auto [len, start] = *it;
    take(c, start, len, start, n);
    return start;
  }
  return std::nullopt;
}

GenPool::Chunk* GenPool::find(Pfn pfn) {
  for (Chunk& c : chunks_)
    if (pfn >= c.first && pfn <= c.last()) return &c;
  return nullptr;
}

GenPool::FreeResult GenPool::free(Pfn first, std::uint64_t n) {
  Chunk* c = find(first);
  if (!c) return FreeResult::bug_no_chunk;                       // BUG()
  if (first + n - 1 > c->last()) return FreeResult::bug_beyond_chunk;  // BUG_ON(addr + size - 1 > end_addr)
  // bitmap_clear_ll fails (BUG_ON(remain)) if any bit in the range is already clear.
  auto it = c->free.upper_bound(first + n - 1);
  if (it != c->free.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second > first) return FreeResult::bug_already_free;
  }
  give(*c, first, n);
  return FreeResult::ok;
}

bool GenPool::has(Pfn first, std::uint64_t n) const {
  for (const Chunk& c : chunks_)
    if (first >= c.first && first + n - 1 <= c.last()) return true;
  return false;
}

std::uint64_t GenPool::avail() const {
  std::uint64_t a = 0;
  for (const auto& c : chunks_) a += c.avail;
  return a;
}

std::uint64_t GenPool::size() const {
  std::uint64_t s = 0;
  for (const auto& c : chunks_) s += c.pages;
  return s;
}

std::uint64_t GenPool::largest_free_run() const {
  std::uint64_t best = 0;
  for (const auto& c : chunks_)
    if (!c.by_len.empty()) best = std::max(best, c.by_len.rbegin()->first);
  return best;
}

void PageList::push(const PageSeq& pages) {
  // Pushing pages[0..n-1] in order: the run pages come out reversed, so each pushed run is
  // stored as the reversed run (its last page is popped first).
  for (const PageRun& r : pages.runs()) {
    PageRun rev{r.last(), r.count, r.count == 1 ? 1 : -r.step};
    if (!stack_.empty()) {
      PageRun& top = stack_.back();
      // Merge when the new run, popped first, continues into the current top.
      if ((rev.count == 1 || top.count == 1 || rev.step == top.step)) {
        int step = rev.count > 1 ? rev.step : (top.count > 1 ? top.step : 0);
        for (int s : {1, -1}) {
          if (step != 0 && s != step) continue;
          if (rev.last() + s == top.first && !(s < 0 && rev.last() == 0)) {
            top = PageRun{rev.first, rev.count + top.count, s};
            length_ += r.count;
            goto next;
          }
        }
      }
    }
    stack_.push_back(rev);
    length_ += r.count;
  next:;
  }
}

PageSeq PageList::pop(std::uint64_t n) {
  PageSeq out;
  while (n > 0 && !stack_.empty()) {
    PageRun& top = stack_.back();
    std::uint64_t take = std::min(n, top.count);
    out.append(PageRun{top.first, take, top.step});
    if (take == top.count) {
      stack_.pop_back();
    } else {
      top.first = top.at(take);
      top.count -= take;
    }
    length_ -= take;
    n -= take;
  }
  return out;
}

PageSeq PageList::pop_bottom(std::uint64_t n) {
  PageSeq out;
  while (n > 0 && !stack_.empty()) {
    PageRun& bottom = stack_.front();
    std::uint64_t take = std::min(n, bottom.count);
    // The bottom run's pages in reverse pop order: from its last page backwards.
    out.append(PageRun{bottom.last(), take, -bottom.step});
    if (take == bottom.count) {
      stack_.erase(stack_.begin());
    } else {
      bottom.count -= take;
    }
    length_ -= take;
    n -= take;
  }
  return out;
}

PageSeq PageList::peek(std::uint64_t n) const {
  PageSeq out;
  for (auto it = stack_.rbegin(); it != stack_.rend() && n > 0; ++it) {
    std::uint64_t take = std::min(n, it->count);
    out.append(PageRun{it->first, take, it->step});
    n -= take;
  }
  return out;
}

}  // namespace unpop
