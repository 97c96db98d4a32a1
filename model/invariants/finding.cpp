#include "model/invariants/finding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace unpop {

const std::vector<RuleInfo>& rule_table() {
  static const std::vector<RuleInfo> t = {
      {"ram-overlap", false, "No pool page, live page or growth range overlaps guest RAM."},
      {"device-overlap", false,
       "No pool page, live page or growth range overlaps reserved memory, device MMIO or the grant table."},
      {"outside-ext-region", false,
       "With a target built from extended regions, every growth range lies inside one extended region."},
      {"region-overlap", false, "Extended regions are disjoint from each other and from RAM, reserved memory and MMIO."},
      {"region-mismatch", false, "The holes Linux built are exactly the gaps between the sorted extended regions."},
      {"growth-misaligned", false, "A growth range starts on a memory-section boundary and spans whole sections."},
      {"not-in-pool", false, "A page handed out belongs to the pool."},
      {"double-alloc", false, "A page is never handed out while it is live."},
      {"not-contiguous", false, "The pages of one DMA allocation are consecutive in IPA."},
      {"unknown-free", false, "Only live pages are given back."},
      {"double-free", false, "A page is not given back twice."},
      {"mixed-free", false, "A page goes back through the path it came out of (DMA or plain)."},
      {"dma-free-mismatch", false, "A DMA free gives back exactly a range that one DMA allocation handed out."},
      {"count-mismatch", false, "Counts agree: nr_pages equals the pages; free + live = pool; list_count is right."},
      {"leak", false, "When drained, no page is live and the pool's free count equals its size."},
      {"growth-overlap", false, "A growth range does not overlap the pool it grows (project rule)."},
      {"order-mismatch", false, "The list hands pages out in LIFO order, as page_list does (project rule)."},
      {"kernel-bug", false, "The modelled kernel never reaches BUG() or a NULL dereference (project rule)."},
      {"spurious-enomem", true,
       "An allocation fails although free pool pages and unused whole sections of the target still hold it."},
      {"ram-stolen", true, "A path that could use unpopulated space takes real RAM instead."},
  };
  return t;
}

const RuleInfo* find_rule(const std::string& id) {
  for (const auto& r : rule_table())
    if (id == r.id) return &r;
  return nullptr;
}

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
