// The interface every trace reader implements, and a factory that picks the reader from the
// file's first bytes (trace.dat magic `\x17\x08\x44tracing` -> DatReader, otherwise text).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "traces/record.h"

namespace unpop::traces {

enum class ReadStatus {
  record,  ///< `out` holds the next record
  end,     ///< input exhausted; every later call returns end
  error,   ///< `err` says what was wrong. If err.fatal, the next call returns end; otherwise
           ///< the reader has skipped the bad line and the caller may continue.
};

/// A pull iterator over records. Not thread-safe; one reader per input.
class RecordReader {
 public:
  virtual ~RecordReader() = default;
  virtual ReadStatus next(Record& out, ReadError& err) = 0;
  /// Would next() answer without waiting for input (a whole line already buffered, or the
  /// end seen)? A prefetching thread hands its records over before a wait. False: unknown.
  virtual bool ready() const { return false; }
  /// The input's name as used in Record::file and ReadError::file.
  virtual const std::string& name() const = 0;
};

/// Opens `path`, choosing the text or the trace.dat reader by content. nullptr + err on failure.
std::unique_ptr<RecordReader> open_trace(const std::string& path, ReadError& err);

/// Drives `reader` to the end. `on_record` returns false to stop early. `on_error` returns
/// false to stop (the default policy: stop at the first error). Returns the number of errors.
std::size_t for_each_record(RecordReader& reader,
                            const std::function<bool(const Record&)>& on_record,
                            const std::function<bool(const ReadError&)>& on_error =
                                [](const ReadError&) { return false; });

}  // namespace unpop::traces
