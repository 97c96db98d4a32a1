#include "traces/replay/report.h"

#include <fmt/format.h>

namespace unpop::replay {

namespace {
nlohmann::json reported_json(const Reported& v) {
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& r : v.finding.ranges)
    ranges.push_back({{"start", hex(r.range.start)}, {"end", hex(r.range.end)}, {"name", r.name}});
  nlohmann::json j{{"rule", v.finding.rule},
                   {"file", v.at.file},
                   {"line", v.at.line},
                   {"timestamp", v.at.timestamp},
                   {"task", v.at.task},
                   {"pid", v.at.pid},
                   {"cpu", v.at.cpu},
                   {"message", v.finding.message},
                   {"ranges", ranges},
                   {"context", v.context}};
  if (!v.finding.pfns.empty()) {
    auto& ps = j["pfns"] = nlohmann::json::array();
    for (auto p : v.finding.pfns) ps.push_back(hex(p));
  }
  if (!v.finding.counts.empty()) {
    auto& cs = j["counts"] = nlohmann::json::object();
    for (const auto& [k, n] : v.finding.counts) cs[k] = n;
  }
  return j;
}

nlohmann::json divergence_json(const Divergence& d) {
  return {{"variant", d.variant}, {"kind", d.kind},     {"file", d.at.file},     {"line", d.at.line},
          {"timestamp", d.at.timestamp}, {"task", d.at.task}, {"pid", d.at.pid}, {"cpu", d.at.cpu},
          {"model", d.model},     {"kernel", d.kernel}, {"message", d.message}, {"context", d.context}};
}

std::string where_text(const Where& w) {
  if (w.pid < 0)  // end of input (leak), or a marker without a task
    return fmt::format("{}:{} ({})", w.file, w.line, w.timestamp.empty() ? "-" : w.timestamp);
  return fmt::format("{}:{} ({}, {}-{}, cpu {})", w.file, w.line, w.timestamp.empty() ? "-" : w.timestamp, w.task,
                     w.pid, w.cpu);
}
}  // namespace

nlohmann::json to_json(const Result& r) {
  nlohmann::json j;
  j["verdict"] = to_string(r.verdict);
  j["events"] = r.events;
  auto& vs = j["violations"] = nlohmann::json::array();
  for (const auto& v : r.violations) vs.push_back(reported_json(v));
  auto& ws = j["warnings"] = nlohmann::json::array();
  for (const auto& w : r.warnings)
    ws.push_back({{"kind", w.kind}, {"file", w.file}, {"line", w.line}, {"message", w.message}});
  j["unchecked"] = r.unchecked;
  auto& fs = j["findings"] = nlohmann::json::array();
  for (const auto& f : r.findings) fs.push_back(reported_json(f));
  auto& oe = j["other_events"] = nlohmann::json::object();
  for (const auto& [k, n] : r.other_events) oe[k] = n;
  if (r.error) j["error"] = {{"file", r.error->file}, {"line", r.error->line}, {"message", r.error->message}};
  if (const auto& v = r.variant) {
    auto dropped = nlohmann::json::object();
    for (const auto& d : v->dropped) dropped[d.variant] = divergence_json(d);
    j["variant"] = {{"asked", v->asked}, {"chosen", v->chosen}, {"fits", v->fits}, {"dropped", dropped}, {"why", v->why}};
  }
  if (const auto& d = r.divergence) j["divergence"] = divergence_json(*d);
  return j;
}

nlohmann::json usage_error_json(const std::string& file, std::uint64_t line, const std::string& message) {
  Result r;
  r.verdict = Verdict::unreadable;
  r.error = InputError{file, line, message};
  return to_json(r);
}

std::string to_text(const Result& r, const TextOptions& o) {
  std::string out;
  auto add = [&](const std::string& s) { out += s; out += '\n'; };
  if (r.error) {
    add(fmt::format("unreadable: {}{}: {}", r.error->file, r.error->line ? fmt::format(":{}", r.error->line) : "",
                    r.error->message));
  }
  for (const auto& v : r.violations) {
    const RuleInfo* info = find_rule(v.finding.rule);
    add(fmt::format("VIOLATION {} at {}", v.finding.rule, where_text(v.at)));
    if (info) add(fmt::format("  rule:    {}", info->text));
    add(fmt::format("  what:    {}", v.finding.message));
    for (const auto& nr : v.finding.ranges) add(fmt::format("  range:   {} {}", to_string(nr.range), nr.name));
    if (!v.finding.pfns.empty()) {
      std::string ps;
      for (auto p : v.finding.pfns) ps += (ps.empty() ? "" : " ") + hex(p);
      add(fmt::format("  pfns:    {}", ps));
    }
    for (const auto& [k, n] : v.finding.counts) add(fmt::format("  count:   {} = {}", k, n));
    if (!v.context.empty()) {
      add("  preceding events of the same pages:");
      for (const auto& c : v.context) add("    " + c);
    }
  }
  if (!r.violations.empty()) {
    // replay --cex DIR writes DIR/VARIANT-RULE.json (cli/cmd_replay.cpp).
    const std::string file = fmt::format("{}-{}.json", r.variant ? r.variant->chosen : o.variant,
                                         r.violations.front().finding.rule);
    if (!o.cex_path.empty())
      add(fmt::format("  look at it: unpopcheck explore {}", o.cex_path));
    else if (!o.rerun_with_cex.empty())
      add(fmt::format("  look at it: {} && unpopcheck explore cases/{}", o.rerun_with_cex, file));
    else
      add(fmt::format("  look at it: add --cex cases to this replay, then: unpopcheck explore cases/{}", file));
  }
  if (const auto& d = r.divergence) {
    add(fmt::format("DIVERGENCE {} at {}: the kernel did what {} cannot do", d->kind, where_text(d->at), d->variant));
    add(fmt::format("  model:   {}", d->model));
    add(fmt::format("  kernel:  {}", d->kernel));
    add(fmt::format("  what:    {}", d->message));
    if (!d->context.empty()) {
      add("  preceding events of the same pages or resource:");
      for (const auto& c : d->context) add("    " + c);
    }
    if (r.violations.empty() && !o.cex_path.empty())
      add(fmt::format("  the calls up to it, with the model's choice beside the kernel's: unpopcheck explore {}",
                      o.cex_path));
  }
  for (const auto& f : r.findings)
    add(fmt::format("finding {} at {}: {}", f.finding.rule, where_text(f.at), f.finding.message));
  for (const auto& w : r.warnings)
    add(fmt::format("warning [{}] {}{}: {}", w.kind, w.file, w.line ? fmt::format(":{}", w.line) : "", w.message));
  for (const auto& u : r.unchecked) add("unchecked: " + u);
  if (!r.other_events.empty()) {
    std::string s;
    for (const auto& [k, n] : r.other_events) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", k, n);
    add("other events: " + s);
  }
  std::string variant = o.variant;
  if (const auto& v = r.variant) {
    variant = fmt::format("{} (--variant {})", v->chosen, v->asked);
    add(fmt::format("variant: {} chosen: {}", v->chosen, v->why));
    if (v->fits.size() > 1) {
      std::string f;
      for (const auto& n : v->fits) f += (f.empty() ? "" : ", ") + n;
      add("variant: fit the trace: " + f);
    }
    for (const auto& d : v->dropped)
      add(fmt::format("variant: {} dropped at {}: {} (model {}; kernel {})", d.variant, where_text(d.at), d.kind,
                      d.model, d.kernel));
  }
  add(fmt::format("{} events{}; verdict: {} (exit {})", r.events, variant.empty() ? "" : ", variant " + variant,
                  to_string(r.verdict), r.exit_code()));
  return out;
}

}  // namespace unpop::replay
