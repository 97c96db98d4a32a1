#include "model/case/case.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "model/layout/loaders.h"

namespace unpop {

using nlohmann::json;

nlohmann::json case_to_json(const Case& c) {
  json j;
  j["format"] = "unpopcheck-case/1";
  if (!c.preset.empty())
    j["layout"] = json{{"preset", c.preset}};
  else
    j["layout"] = json::parse(layout_to_json(c.layout));
  j["variant"] = c.variant;
  j["page_size"] = c.page_size;
  j["mutant"] = to_string(c.mutant);
  auto& ops = j["ops"] = json::array();
  for (const auto& op : c.ops) ops.push_back(op.text());
  if (!c.schedule.empty()) j["schedule"] = c.schedule;
  if (!c.origin.empty()) j["origin"] = c.origin;
  if (c.seed) j["seed"] = *c.seed;
  if (!c.reproduce.empty()) j["reproduce"] = c.reproduce;
  if (!c.rule.empty()) j["rule"] = c.rule;
  if (c.failing_step) j["failing_step"] = *c.failing_step;
  if (!c.extra.is_null()) j["extra"] = c.extra;
  return j;
}

Case case_from_json(const json& j, const std::string& file) {
  auto fail = [&](const std::string& path, const std::string& what) {
    throw LoadError{file, 0, fmt::format("{}: {}", path, what)};
  };
  if (!j.is_object()) fail("(top)", "expected a JSON object");
  Case c;
  try {
    const json& l = j.at("layout");
    if (l.contains("preset")) {
      c.preset = l.at("preset").get<std::string>();
      c.layout = load_preset(c.preset);
    } else {
      c.layout = load_layout_json(file, l.dump());
    }
    c.variant = j.value("variant", default_variant());
    c.page_size = j.value("page_size", std::uint64_t{4096});
    if (!parse_mutant(j.value("mutant", "none"), c.mutant)) fail("mutant", "unknown mutant");
    std::size_t i = 0;
    for (const auto& line : j.at("ops")) {
      try {
        c.ops.push_back(parse_op(line.get<std::string>()));
      } catch (const std::invalid_argument& e) {
        fail(fmt::format("ops[{}]", i), e.what());
      }
      ++i;
    }
    if (j.contains("schedule")) c.schedule = j.at("schedule").get<std::vector<int>>();
    c.origin = j.value("origin", "");
    if (j.contains("seed")) c.seed = j.at("seed").get<std::uint64_t>();
    c.reproduce = j.value("reproduce", "");
    c.rule = j.value("rule", "");
    if (j.contains("failing_step")) c.failing_step = j.at("failing_step").get<std::size_t>();
    if (j.contains("extra")) c.extra = j.at("extra");
  } catch (const json::exception& e) {
    fail("(case)", e.what());
  }
  return c;
}

Case load_case(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw LoadError{path, 0, "cannot open the case file"};
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw LoadError{path, 0, fmt::format("not valid JSON: {}", e.what())};
  }
  return case_from_json(j, path);
}

void save_case(const std::string& path, const Case& c) {
  std::ofstream out(path);
  if (!out) throw LoadError{path, 0, "cannot write the case file"};
  out << case_to_json(c).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void check_references(const std::vector<Op>& ops, const std::string& file, const std::vector<std::size_t>& lines) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.kind != Op::Kind::free && op.kind != Op::Kind::dma_free) continue;
    const std::size_t line = i < lines.size() ? lines[i] : 0;
    const std::string at = lines.empty() ? fmt::format("op {} ({}): ", i, op.text()) : "";
    if (op.ref < 0 || static_cast<std::size_t>(op.ref) >= i)
      throw LoadError{file, line,
                      fmt::format("{}#{} is not an earlier op: #K names the K-th operation of the script, counted "
                                  "from 0 (this one is #{})", at, op.ref, i)};
    const Op& a = ops[static_cast<std::size_t>(op.ref)];
    if (!a.is_alloc())
      throw LoadError{file, line, fmt::format("{}#{} is `{}`, not an allocation", at, op.ref, a.text())};
    if (op.count && (op.offset + *op.count > a.nr || op.offset + *op.count < op.offset))
      throw LoadError{file, line,
                      fmt::format("{}pages {}..{} of #{} do not exist: `{}` asks for {} page{} (OFFSET COUNT must "
                                  "lie inside them)",
                                  at, op.offset, op.offset + *op.count - 1, op.ref, a.text(), a.nr, a.nr == 1 ? "" : "s")};
  }
}

std::vector<Op> parse_script(const std::string& text, const std::string& file, std::vector<std::size_t>* lines_out) {
  std::vector<std::size_t> lines;
  std::vector<Op> ops;
  std::istringstream in(text);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto hash = line.find('#');
    // `#` starts a comment unless it is a reference (#3) right after free/dma_free.
    while (hash != std::string::npos && hash + 1 < line.size() && std::isdigit(static_cast<unsigned char>(line[hash + 1])))
      hash = line.find('#', hash + 1);
    if (hash != std::string::npos) line.resize(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      ops.push_back(parse_op(line));
      lines.push_back(n);
    } catch (const std::invalid_argument& e) {
      throw LoadError{file, n, e.what()};
    }
  }
  check_references(ops, file, lines);
  if (lines_out) *lines_out = std::move(lines);
  return ops;
}

}  // namespace unpop
