#include "model/invariants/finding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace unpop {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::violation: return "violation";
    case Severity::liveness: return "finding";
    case Severity::warning: return "warning";
  }
  return "?";
}

std::string Finding::text() const { return fmt::format("[{}] {}", rule, message); }

void to_json(nlohmann::json& j, const Finding& f) {
  j = nlohmann::json{{"rule", f.rule}, {"severity", to_string(f.severity)}, {"message", f.message},
                     {"step", f.step}};
  auto& rs = j["ranges"] = nlohmann::json::array();
  for (const auto& r : f.ranges)
    rs.push_back({{"start", hex(r.range.start)}, {"end", hex(r.range.end)}, {"name", r.name}});
  auto& ps = j["pfns"] = nlohmann::json::array();
  for (auto p : f.pfns) ps.push_back(hex(p));
  auto& cs = j["counts"] = nlohmann::json::object();
  for (const auto& [k, v] : f.counts) cs[k] = v;
}

void from_json(const nlohmann::json& j, Finding& f) {
  f.rule = j.at("rule").get<std::string>();
  std::string sev = j.value("severity", "violation");
  f.severity = sev == "finding" ? Severity::liveness : sev == "warning" ? Severity::warning : Severity::violation;
  f.message = j.value("message", "");
  f.step = j.value("step", std::size_t{0});
  if (j.contains("ranges"))
    for (const auto& r : j.at("ranges"))
      f.ranges.push_back({{std::stoull(r.at("start").get<std::string>(), nullptr, 0),
                         std::stoull(r.at("end").get<std::string>(), nullptr, 0)},
                        r.value("name", "")});
  if (j.contains("pfns"))
    for (const auto& p : j.at("pfns")) f.pfns.push_back(std::stoull(p.get<std::string>(), nullptr, 0));
  if (j.contains("counts"))
    for (const auto& [k, v] : j.at("counts").items()) f.counts.emplace_back(k, v.get<std::int64_t>());
}

}  // namespace unpop
