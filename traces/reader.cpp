#include "traces/reader.h"

#include "traces/dat_reader.h"
#include "traces/text_reader.h"

namespace unpop::traces {

std::unique_ptr<RecordReader> open_trace(const std::string& path, ReadError& err) {
  if (is_trace_dat(path)) return DatReader::open(path, err);
  return TextReader::open(path, err);
}

std::size_t for_each_record(RecordReader& reader,
                            const std::function<bool(const Record&)>& on_record,
                            const std::function<bool(const ReadError&)>& on_error) {
  Record rec;
  ReadError err;
  std::size_t errors = 0;
  while (true) {
    switch (reader.next(rec, err)) {
      case ReadStatus::record:
        if (!on_record(rec)) return errors;
        break;
      case ReadStatus::end:
        return errors;
      case ReadStatus::error:
        ++errors;
        if (!on_error(err) || err.fatal) return errors;
        break;
    }
  }
}

}  // namespace unpop::traces
