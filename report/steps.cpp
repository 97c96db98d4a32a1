#include "report/steps.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/linux/kernel.h"

namespace unpop::report {

std::vector<std::string> state_diff(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::multiset<std::string> b(before.begin(), before.end()), a(after.begin(), after.end());
  std::vector<std::string> out;
  for (const auto& l : before)
    if (!a.count(l)) out.push_back("- " + l);
  for (const auto& l : after)
    if (!b.count(l)) out.push_back("+ " + l);
  return out;
}

std::string finding_text(const Finding& f) {
  std::string s = fmt::format("{} {}: {}", to_string(f.severity), f.rule, f.message);
  for (const auto& r : f.ranges) s += fmt::format("\n      {} {}", to_string(r.range), r.name);
  return s;
}

// A call's return in words: the errno's name, or what kOops stands for.
static std::string ret_text(int ret) {
  if (ret == kOops) return fmt::format("{} (oops: the kernel would be dead, a BUG() or a NULL dereference)", ret);
  return err::name(ret);
}

std::string steps_text(const std::vector<std::string>& initial_state, const std::vector<Finding>& init_findings,
                       const std::vector<StepRecord>& steps) {
  std::string out;
  out += "initial state:\n";
  for (const auto& l : initial_state) out += "    " + l + "\n";
  for (const auto& f : init_findings) out += "  ! " + finding_text(f) + "\n";
  std::vector<std::string> prev = initial_state;
  for (const auto& s : steps) {
    std::string res = s.op.kind == Op::Kind::fail || s.op.kind == Op::Kind::drain ? "" : " -> " + ret_text(s.ret);
    out += fmt::format("[{}] {}{}", s.index, s.op.text(), res);
    if (!s.pages.empty()) out += fmt::format("  pages {}{}", s.pages.describe(3), s.source == Source::ram ? " (RAM)" : "");
    if (s.fault_fired) out += fmt::format("  (injected {} fault)", s.fault_point);
    out += "\n";
    if (!s.note.empty()) out += "    note: " + s.note + "\n";
    for (const auto& d : state_diff(prev, s.state)) out += "    " + d + "\n";
    for (const auto& f : s.findings) out += "  ! " + finding_text(f) + "\n";
    prev = s.state;
  }
  return out;
}

nlohmann::json findings_json(const std::vector<Finding>& fs) {
  auto a = nlohmann::json::array();
  for (const auto& f : fs) a.push_back(f);
  return a;
}

nlohmann::json steps_json(const std::vector<Finding>& init_findings, const std::vector<StepRecord>& steps) {
  nlohmann::json j;
  j["init_findings"] = findings_json(init_findings);
  auto& arr = j["steps"] = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json st{{"index", s.index}, {"op", s.op.text()}, {"ret", s.ret}, {"ret_name", err::name(s.ret)},
                      {"pages", s.pages.describe(8)}, {"npages", s.pages.size()},
                      {"source", to_string(s.source)}, {"fault_fired", s.fault_fired}, {"state", s.state},
                      {"fault_point", s.fault_fired ? nlohmann::json(s.fault_point) : nlohmann::json()},
                      {"findings", findings_json(s.findings)}};
    if (!s.note.empty()) st["note"] = s.note;
    arr.push_back(std::move(st));
  }
  return j;
}

}  // namespace unpop::report
