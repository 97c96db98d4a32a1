#pragma once
// For the replay's unit tests only: contract events as traces::Record, written the way the
// kernel prints them (tracefs text), so each stage is tested on what the readers produce.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "traces/text_reader.h"

namespace unpop::replay::test {

/// One tracefs line: `task-pid [cpu] ..... sec.usec: event`.
inline std::string line(const char* task, int pid, int cpu, std::uint64_t us, const std::string& ev) {
  return fmt::format("{:>16}-{:<7} [{:03}] ..... {:5}.{:06}: {}\n", task, pid, cpu, us / 1000000, us % 1000000, ev);
}

/// The records of `text` read as the input `file` (line N of the text is record line N).
inline std::vector<traces::Record> records(const std::string& text, const std::string& file = "t.txt") {
  auto reader = traces::TextReader::from_memory(file, text);
  std::vector<traces::Record> out;
  traces::Record rec;
  traces::ReadError err;
  while (reader->next(rec, err) == traces::ReadStatus::record) out.push_back(rec);
  return out;
}

/// Events of gntdev-212 (or `pid`), one per line, from line 1.
inline std::vector<traces::Record> events(const std::vector<std::string>& evs, int pid = 212) {
  std::string text;
  std::uint64_t us = 3000000;
  for (const auto& e : evs) text += line(pid == 212 ? "gntdev" : "qemu", pid, 1, us++, e);
  return records(text);
}

}  // namespace unpop::replay::test
