// unpop_trace_dump FILE...: prints every record the readers produce, one per line, and every
// error with file:line. Exit 0 if every file read cleanly, 2 otherwise. For debugging fixtures.
#include <cstdio>
#include <string>

#include "traces/reader.h"

using namespace unpop::traces;

int main(int argc, char** argv) {
  bool quiet = false;
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::string path = argv[i];
    if (path == "-q") {
      quiet = true;
      continue;
    }
    ReadError err;
    auto reader = open_trace(path, err);
    if (!reader) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      status = 2;
      continue;
    }
    std::size_t n = 0;
    std::size_t errors = for_each_record(
        *reader,
        [&](const Record& r) {
          ++n;
          if (quiet) return true;
          std::printf("%s:%llu %s", r.file.c_str(), static_cast<unsigned long long>(r.line),
                      std::string(to_string(r.kind)).c_str());
          if (r.kind == RecordKind::event) {
            std::printf(" comm='%s' pid=%lld cpu=%d ts=%s(%llu) flags='%s' %s%s%s",
                        r.comm.c_str(), static_cast<long long>(r.pid), r.cpu,
                        r.timestamp.c_str(), static_cast<unsigned long long>(r.ts_ns),
                        r.flags.c_str(), r.system.c_str(), r.system.empty() ? "" : ":",
                        r.name.c_str());
            if (r.probe.present)
              std::printf(" probe[%s%s%s%s]", r.probe.is_return ? "ret " : "",
                          r.probe.location.c_str(), r.probe.is_return ? " <- " : "",
                          r.probe.function.c_str());
            for (const Field& f : r.fields) std::printf(" %s=%s", f.key.c_str(), f.value.c_str());
            if (!r.fields_complete) std::printf(" (partial)");
          } else if (r.kind == RecordKind::lost_events) {
            std::printf(" cpu=%d lost=%s", r.cpu,
                        r.lost ? std::to_string(*r.lost).c_str() : "?");
          }
          std::printf("\n");
          return true;
        },
        [&](const ReadError& e) {
          std::fprintf(stderr, "%s\n", e.message().c_str());
          return true;
        });
    if (errors) status = 2;
    if (quiet) std::printf("%s: %zu records, %zu errors\n", path.c_str(), n, errors);
  }
  return status;
}
