#include "traces/replay/counterexample.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/case/op.h"
#include "model/invariants/rules.h"

namespace unpop::replay {

namespace {
// A case op's device token: one word without the op syntax's separators.
std::string sanitize_token(std::string s) {
  for (char& c : s)
    if (c == ' ' || c == '\t' || c == '#') c = '_';
  return s.empty() ? std::string("dev") : s;
}
}  // namespace

void Counterexample::alloc(Path path, std::uint64_t nr, std::string_view owner, const PageSeq& pages, bool ok) {
  if (!on_) return;
  if (path == Path::dma) ops_.push_back(fmt::format("dma_alloc {} {}", nr, sanitize_token(std::string(owner))));
  else ops_.push_back(fmt::format("alloc {}", nr));
  pages_.push_back(pages);
  if (ok && !pages.empty()) by_first_[pages.front()] = ops_.size() - 1;
  if (ok && pages.empty() && nr > 0 && exact_) {
    exact_ = false;
    notes_.push_back("allocations without page events: later frees by pfn may not match the model's pages");
  }
  if (!ok && notes_.size() < 20)
    notes_.push_back(fmt::format("op {} failed in the trace; the model decides for itself", ops_.size() - 1));
}

void Counterexample::free(Path path, std::uint64_t nr, const PageSeq& pages) {
  if (!on_) return;
  const char* op = path == Path::dma ? "dma_free" : "free";
  if (pages.empty()) {
    if (nr == 0) return;
    exact_ = false;
    notes_.push_back(fmt::format("a free of {} pages without page events is left out", nr));
    return;
  }
  auto it = by_first_.find(pages.front());
  if (it != by_first_.end()) {
    const PageSeq& got = pages_[it->second];
    if (got == pages) {
      ops_.push_back(fmt::format("{} #{}", op, it->second));
      pages_.emplace_back();
      by_first_.erase(it);
      return;
    }
    if (pages.size() < got.size() && got.slice(0, pages.size()) == pages) {
      ops_.push_back(fmt::format("{} #{} 0 {}", op, it->second, pages.size()));
      pages_.emplace_back();
      return;
    }
  }
  // Not a whole (or leading part of an) earlier allocation: give the pfns back raw.
  if (exact_)
    notes_.push_back("frees that are not one earlier allocation are replayed as free_pfn of the trace's pfns; the "
                     "model may have handed out other pfns");
  exact_ = false;
  for (const auto& run : pages.runs()) {
    ops_.push_back(fmt::format("{}_pfn {:#x} {}", op, run.lo(), run.count));
    pages_.emplace_back();
  }
}

void Counterexample::drain() {
  if (on_) ops_.push_back("drain");
}

void Counterexample::first_violation() {
  if (on_) failing_ = ops_.empty() ? 0 : ops_.size() - 1;
}

void Counterexample::first_divergence() {
  if (on_ && !diverging_) diverging_ = ops_.size();
}

Case Counterexample::build(const Result& r, const Layout& layout, const Geometry& geo, const std::string& variant,
                           const std::string& preset) const {
  Case c;
  c.preset = preset;
  c.layout = layout;
  c.variant = variant;
  c.page_size = geo.page_size();
  for (const auto& s : ops_) c.ops.push_back(parse_op(s));
  c.origin = "replay";
  if (!r.violations.empty()) {
    const auto& v = r.violations.front();
    c.rule = v.finding.rule;
    c.failing_step = failing_;
    c.extra["trace_event"] = {{"file", v.at.file}, {"line", v.at.line}, {"timestamp", v.at.timestamp}};
    // Ops are calls (alloc N, free #K, ...): the model then chooses pages and grows its pool
    // itself. Caller-side rules (what was given back, and when) replay; allocator-side rules
    // (which pages or ranges the kernel chose) show only if the model makes the same choice.
    const RuleInfo* info = find_rule(v.finding.rule);
    if (info && info->kind == RuleKind::caller)
      c.extra["reproducible"] = "yes: the ops make the same calls, so the model breaks the same rule";
    else
      c.extra["reproducible"] = fmt::format(
          "not by the ops alone: {} is about the pages or ranges the traced kernel chose (or its layout); the model "
          "chooses its own with variant {}, so explore shows the calls leading there, not necessarily the same finding",
          v.finding.rule, variant);
  }
  if (r.violations.empty() && r.divergence && diverging_ && !c.ops.empty()) {
    // A divergent trace: the calls up to the one where the kernel left the variant. explore
    // replays them in the model, which makes its own choice there; the kernel's is kept here.
    const Divergence& d = *r.divergence;
    const std::size_t at = std::min(*diverging_, c.ops.size() - 1);
    c.ops.resize(at + 1);
    c.failing_step = at;
    c.extra["divergence"] = {{"variant", d.variant}, {"kind", d.kind},     {"model", d.model},
                             {"kernel", d.kernel},   {"file", d.at.file}, {"line", d.at.line},
                             {"timestamp", d.at.timestamp}};
  }
  c.extra["exact"] = exact_;
  c.extra["notes"] = notes_;
  return c;
}

}  // namespace unpop::replay
