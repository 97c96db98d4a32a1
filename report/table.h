#pragma once
/// A plain-text table with aligned columns, for every command's human-readable output.
#include <string>
#include <vector>

namespace unpop::report {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;
  /// The same table in Markdown (`|` in a cell is escaped), for generated sections of docs/.
  std::string markdown() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace unpop::report
