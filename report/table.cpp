#include "report/table.h"

#include <algorithm>

namespace unpop::report {

std::string Table::render() const {
  std::vector<std::size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (std::size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      l += cell;
      if (i + 1 < width.size()) l += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(header_);
  std::vector<std::string> rule;
  for (auto w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string Table::markdown() const {
  auto line = [&](const std::vector<std::string>& row) {
    std::string l = "|";
    for (std::size_t i = 0; i < header_.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      std::string esc;
      for (char c : cell) esc += c == '|' ? std::string("\\|") : std::string(1, c);
      l += " " + esc + " |";
    }
    return l + "\n";
  };
  std::string out = line(header_) + "|";
  for (std::size_t i = 0; i < header_.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

}  // namespace unpop::report
