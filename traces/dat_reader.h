// Reader for binary trace.dat files (trace-cmd v6 and v7, compressed or not), through
// libtracecmd. Produces the same Records as the text reader:
//   - records in timestamp order merged across CPUs (ties: lower CPU first, as
//     `trace-cmd report` prints them); Record::line is the record's 1-based index in that order;
//   - comm from the file's saved cmdlines (`<...>` if absent), pid, cpu, ts_ns, timestamp
//     printed as `trace-cmd report` does (`SECONDS.MICROSECONDS`), irq flags (`d..1.`);
//   - fields: the event's non-common format fields in format order, values in C notation
//     (hex where the print fmt prints hex, signed decimal for signed fields, quoted strings,
//     `{a,b}` arrays); kprobe/uprobe events' `__probe_ip` / `__probe_func` / `__probe_ret_ip`
//     go to Record::probe (with symbol+offset from the file's kallsyms when it has them);
//   - body: the event as libtraceevent prints it (no plugins);
//   - a record with missed_events != 0 is preceded by a lost_events Record (same line number).
// A file that is cut short is an error naming the file and the record index reached: the
// file's layout is checked (dat_layout.h) before libtracecmd sees it.
// libtracecmd runs in a forked child process (see dat_reader.cpp): a malformed file that
// crashes or hangs it is a fatal ReadError, never a crash of the caller.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "traces/reader.h"
#include "traces/record.h"

namespace unpop::traces {

/// True if the file starts with the trace.dat magic (`\x17\x08\x44tracing`).
bool is_trace_dat(const std::string& path);

struct DatReaderOptions {
  /// Longest wait for the next record from the decoder process before it is killed (0: none).
  int timeout_ms = 30000;
};

class DatReader final : public RecordReader {
 public:
  /// nullptr and a fatal `err` if the file cannot be opened or its header is unreadable.
  static std::unique_ptr<DatReader> open(const std::string& path, ReadError& err,
                                         DatReaderOptions options = {});
  ~DatReader() override;
  ReadStatus next(Record& out, ReadError& err) override;
  const std::string& name() const override { return name_; }

 private:
  DatReader() = default;
  bool read_message(char& type, ReadError& err);

  std::string name_;
  DatReaderOptions opt_;
  int child_ = -1;  // decoder process
  int fd_ = -1;     // its pipe
  bool opened_ = false;
  std::vector<char> in_;            // bytes read from the pipe, unread ones at [pos_, end_)
  std::size_t pos_ = 0, end_ = 0;
  const char* msg_ = nullptr;        // the last message's payload (inside in_)
  std::size_t msg_len_ = 0;
  std::uint64_t index_ = 0;
  bool done_ = false;
  bool have_held_ = false;  // an event held back while its lost-events marker is returned
  Record held_;
};

}  // namespace unpop::traces
