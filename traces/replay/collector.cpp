#include "traces/replay/collector.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/invariants/rules.h"

namespace unpop::replay {

namespace {
constexpr std::size_t kMaxReported = 10000;  // bound on report entries (--all on a broken trace)
constexpr std::uint64_t kWarningsPerKind = 5;
constexpr std::size_t kMaxUnchecked = 200;

// Findings that depend on history a lost-events marker may have hidden (contract), plus the
// project's history-dependent rules (order, path, DMA range bookkeeping).
bool history_dependent(const std::string& rule) {
  const RuleInfo* r = find_rule(rule);
  return r && r->history;
}
}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::violation: return "violation";
    case Verdict::unreadable: return "unreadable";
    case Verdict::divergent: return "divergent";
  }
  return "?";
}

Collector::Collector(const Options& opt, const Cursor& cursor, const ContextRing& ring, Counterexample* cex)
    : opt_(&opt), cur_(cursor), ring_(ring), cex_(cex) {}

void Collector::warn(std::string kind, const Where& at, std::string message) {
  // The first few of each kind are listed, the rest counted (a lost marker early in a long
  // trace would otherwise turn every later finding into a line).
  auto& n = warn_counts_[kind];
  if (++n > kWarningsPerKind || res_.warnings.size() >= kMaxReported) return;
  res_.warnings.push_back(Warning{std::move(kind), at.file, at.line, std::move(message)});
}

void Collector::unchecked(std::string note) {
  if (std::find(res_.unchecked.begin(), res_.unchecked.end(), note) == res_.unchecked.end() &&
      res_.unchecked.size() < kMaxUnchecked)
    res_.unchecked.push_back(std::move(note));
}

void Collector::collect(Checker* checker, const Doubts& doubts) {
  if (!checker || (held_.empty() && !checker->has_pending())) return;  // the usual case
  auto fresh = checker->take();
  for (auto& f : fresh) held_.push_back(std::move(f));
  std::vector<Finding> fs;
  fs.swap(held_);
  Where at = cur_.where();
  for (auto& f : fs) {
    if (f.rule == "order-mismatch" && doubts.order_unknown) continue;
    if (f.rule == "order-mismatch") {  // page choice: what the variant's list cannot produce
      const std::string kernel = f.pfns.size() > 0 ? fmt::format("pfn {:#x}", f.pfns[0]) : "?";
      const std::string model = f.pfns.size() > 1 ? fmt::format("pfn {:#x}", f.pfns[1]) : "?";
      diverge("page-choice", "page_list (LIFO) gives " + model, "handed out " + kernel, f.message, f);
      continue;
    }
    if (f.rule == "not-in-pool" && doubts.pool_unknown) continue;
    if (f.severity == Severity::warning) {
      warn(f.rule, at, f.message);
      continue;
    }
    Reported rep;
    rep.at = at;
    rep.context = ring_.context_for(f, at.pid);
    if (f.severity == Severity::liveness) {
      rep.finding = std::move(f);
      if (res_.findings.size() < kMaxReported) res_.findings.push_back(std::move(rep));
      continue;
    }
    const bool lost = !lost_marker_.empty() && history_dependent(f.rule);
    const bool uncertain = doubts.uncertain && f.rule == "leak";
    if (lost || uncertain) {
      warn(f.rule, at,
           fmt::format("{} (uncertain: {})", f.message,
                       lost ? "after " + lost_marker_ : "known pages were given back without page events"));
      continue;
    }
    rep.finding = std::move(f);
    if (res_.violations.empty() && cex_) cex_->first_violation();
    if (res_.violations.size() < kMaxReported) res_.violations.push_back(std::move(rep));
    if (!opt_->all) stop_ = true;
  }
}

void Collector::diverge(std::string kind, std::string model, std::string kernel, std::string message,
                        const Finding& pages) {
  const Where at = cur_.where();
  if (!lost_marker_.empty()) {
    warn("divergence", at, fmt::format("{}: {} (uncertain: after {})", kind, message, lost_marker_));
    return;
  }
  if (res_.divergence) return;
  if (cex_) cex_->first_divergence();
  Divergence d;
  d.variant = opt_->variant;
  d.kind = std::move(kind);
  d.at = at;
  d.model = std::move(model);
  d.kernel = std::move(kernel);
  d.message = std::move(message);
  d.context = ring_.context_for(pages, at.pid);
  res_.divergence = std::move(d);
}

void Collector::other_event(std::string_view name) {
  auto it = res_.other_events.find(name);
  if (it == res_.other_events.end()) res_.other_events.emplace(std::string(name), 1);
  else ++it->second;
}

void Collector::unknown_event(const traces::Record& r) {
  if (unknown_names_.insert(r.name).second)
    warn("unknown-event", where_of(r),
         fmt::format("{} is in the xen_unpop group but not in the trace contract: ignored", r.name));
}

void Collector::lost_events(const traces::Record& r) {
  std::string text = r.text.empty() ? fmt::format("CPU:{} [LOST {} EVENTS]", r.cpu, r.lost ? *r.lost : 0) : r.text;
  lost_marker_ = fmt::format("{} at {}:{}", text, r.file, r.line);
  warn("lost-events", where_of(r),
       fmt::format("{}: later unknown-free, double-free, not-in-pool, double-alloc, count-mismatch, leak "
                   "(and order-mismatch, mixed-free, dma-free-mismatch) findings are warnings",
                   text));
  unchecked("history-dependent rules after a lost-events marker (reported as warnings)");
}

void Collector::fail(InputError e) {
  if (!res_.error) res_.error = std::move(e);
  stop_ = true;
}

void Collector::finish(const std::string& last_file) {
  if (res_.error) {  // unreadable: the report stops where the input did
    res_.verdict = Verdict::unreadable;
    return;
  }
  for (const auto& [kind, n] : warn_counts_)
    if (n > kWarningsPerKind)
      res_.warnings.push_back(
          Warning{kind, last_file, 0, fmt::format("{} more {} warnings not listed", n - kWarningsPerKind, kind)});
  res_.verdict = !res_.violations.empty() ? Verdict::violation
                 : res_.divergence         ? Verdict::divergent
                                           : Verdict::ok;
}

}  // namespace unpop::replay
