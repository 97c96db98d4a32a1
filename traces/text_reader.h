// Streaming reader for ftrace text: tracefs `trace` (with its `#` header), `trace_pipe` (no
// header) and `trace-cmd report` output. Reads in large chunks; memory is bounded by
// TextReaderOptions::chunk_size + max_line whatever the file size.
//
// Accepted event line (every part separated by one or more spaces):
//
//     <comm>-<pid> [(<tgid>)] [<cpu>] [<irq-flags>] <sec>[.<frac>]: <event>: [(<probe prefix>)] k=v ...
//
//   comm       may contain spaces and dashes (`kworker/0:1-events`), `<...>` when not cached
//   tgid       the `record-tgid` column `(  1234)` or `(-------)`
//   irq-flags  4 or 5 characters (`d..1`, `....`, `d.h2.`, `.....`); absent when the
//              `irq-info` option is off and in `trace-cmd report` without `-l`
//   timestamp  seconds with 1..9 fractional digits, or an integer (counter clocks)
//   prefix     kprobe/kretprobe/uprobe address, see ProbePrefix
//
// Other lines: `#` comments (the tracefs header), `CPU:N [LOST M EVENTS]`, trace-cmd's
// `CPU:N [M EVENTS DROPPED]` / `CPU:N [EVENTS DROPPED]`, trace-cmd report's `version = 6`,
// `cpus=2`, `CPU N is empty`, `##### CPU N buffer started ####`, and blank lines.
// Anything else is a ReadError naming file, line, column and what was expected.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "traces/reader.h"
#include "traces/record.h"

namespace unpop::traces {

struct TextReaderOptions {
  /// Events whose name starts with one of these must have a body made only of
  /// `key=value` tokens after an optional probe prefix; anything else is an error. Other
  /// events (sched, tracing_mark_write, ...) are returned with whatever key=value tokens their
  /// body has and `fields_complete = false` when some token was not one.
  std::vector<std::string> strict_prefixes{"xen_unpop_"};
  std::size_t chunk_size = std::size_t{1} << 20;  ///< bytes per read()
  std::size_t max_line = std::size_t{64} << 10;   ///< longer lines are an error
};

class TextReader final : public RecordReader {
 public:
  /// Opens a file. nullptr and `err` (fatal) if it cannot be opened.
  static std::unique_ptr<TextReader> open(const std::string& path, ReadError& err,
                                          TextReaderOptions options = {});
  /// Reads `data` in place (not copied: it must outlive the reader). `name` is used in records
  /// and errors.
  static std::unique_ptr<TextReader> from_memory(std::string name, std::string_view data,
                                                 TextReaderOptions options = {});
  /// Reads from a file descriptor the reader does not own (a pipe works: e.g. trace_pipe).
  static std::unique_ptr<TextReader> from_fd(std::string name, int fd,
                                             TextReaderOptions options = {});

  ~TextReader() override;
  ReadStatus next(Record& out, ReadError& err) override;
  bool ready() const override;
  const std::string& name() const override { return name_; }

  /// Parses one line (without its newline). `rec.file`/`rec.line` and `err.file`/`err.line`
  /// are left to the caller. Returns false and fills `err` on a malformed line.
  static bool parse_line(std::string_view line, Record& rec, ReadError& err,
                         const TextReaderOptions& options);

 private:
  TextReader(std::string name, TextReaderOptions options);
  bool fill(ReadError& err);  // reads more input; false on I/O error

  std::string name_;
  TextReaderOptions opt_;
  int fd_ = -1;
  bool own_fd_ = false;
  bool eof_ = false;
  bool done_ = false;
  bool discarding_ = false;  // skipping the rest of an over-long line
  bool pending_truncation_ = false;
  std::uint64_t line_no_ = 0;
  std::string_view mem_;     // memory input (when fd_ < 0)
  std::size_t mem_pos_ = 0;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace unpop::traces
