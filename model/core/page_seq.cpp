#include "model/core/page_seq.h"

#include <fmt/format.h>

namespace unpop {

PageSeq PageSeq::ascending(Pfn first, std::uint64_t count) {
  PageSeq s;
  if (count) s.append(PageRun{first, count, 1});
  return s;
}

PageSeq PageSeq::descending(Pfn first, std::uint64_t count) {
  PageSeq s;
  if (count) s.append(PageRun{first, count, count == 1 ? 1 : -1});
  return s;
}


void PageSeq::append(const PageRun& in) {
  if (in.count == 0) return;
  PageRun run = in;
  if (run.count == 1) run.step = 1;
  size_ += run.count;
  if (!runs_.empty()) {
    PageRun& last = runs_.back();
    const Pfn tail = last.last();
    // Extend the last run by the new one if both step the same way and continue each other;
    // a 1-page last run can take either direction.
    for (int step : {1, -1}) {
      bool last_ok = last.count == 1 || last.step == step;
      bool run_ok = run.count == 1 || run.step == step;
      Pfn want = step > 0 ? tail + 1 : tail - 1;
      if (last_ok && run_ok && run.first == want && !(step < 0 && tail == 0)) {
        last.step = step;
        last.count += run.count;
        return;
      }
    }
  }
  runs_.push_back(run);
}

void PageSeq::append(const PageSeq& other) {
  for (const auto& r : other.runs_) append(r);
}

Pfn PageSeq::at(std::uint64_t i) const {
  for (const auto& r : runs_) {
    if (i < r.count) return r.at(i);
    i -= r.count;
  }
  return 0;
}

PageSeq PageSeq::slice(std::uint64_t offset, std::uint64_t count) const {
  PageSeq out;
  for (const auto& r : runs_) {
    if (count == 0) break;
    if (offset >= r.count) {
      offset -= r.count;
      continue;
    }
    std::uint64_t take = std::min(r.count - offset, count);
    out.append(PageRun{r.at(offset), take, r.step});
    count -= take;
    offset = 0;
  }
  return out;
}

std::uint64_t PageSeq::first_gap() const {
  std::uint64_t idx = 0;
  bool have_prev = false;
  Pfn prev = 0;
  for (const auto& r : runs_) {
    if (have_prev && r.first != prev + 1) return idx;
    if (r.count > 1 && r.step < 0) return idx + 1;
    idx += r.count;
    prev = r.last();
    have_prev = true;
  }
  return size_;
}

bool PageSeq::contiguous_ascending() const { return first_gap() == size_; }

std::string PageSeq::describe(std::size_t max_runs) const {
  std::string out;
  std::size_t shown = 0;
  for (const auto& r : runs_) {
    if (shown == max_runs) {
      out += fmt::format(", ... ({} runs)", runs_.size());
      break;
    }
    if (!out.empty()) out += ", ";
    if (r.count == 1)
      out += fmt::format("{:#x}", r.first);
    else
      out += fmt::format("{:#x}{}{:#x}", r.first, r.step > 0 ? ".." : "..", r.last());
    if (r.count > 1) out += fmt::format(" ({})", r.count);
    ++shown;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace unpop
