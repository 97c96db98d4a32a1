// trace_read_throughput FILE [REPEAT]: reads a text or trace.dat trace with the readers and
// prints MB/s, records/s and peak RSS. Every field value of every event is converted with the
// typed accessors, as a replay would. Generate a text input with bench/trace_gen.py.
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "traces/reader.h"

using namespace unpop::traces;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [REPEAT]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    std::perror(path.c_str());
    return 2;
  }
  double best = 1e100;
  std::size_t records = 0, events = 0, errors = 0;
  std::uint64_t checksum = 0;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ReadError err;
    auto r = open_trace(path, err);
    if (!r) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      return 2;
    }
    records = events = errors = 0;
    errors = for_each_record(
        *r,
        [&](const Record& rec) {
          ++records;
          if (rec.kind == RecordKind::event) {
            ++events;
            for (const Field& f : rec.fields)
              if (auto v = parse_u64(f.value)) checksum += *v;
          }
          return true;
        },
        [&](const ReadError& e) {
          if (errors < 5) std::fprintf(stderr, "%s\n", e.message().c_str());
          return true;
        });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  double mb = static_cast<double>(st.st_size) / 1e6;
  std::printf("%s: %.1f MB, %zu records (%zu events), %zu errors\n", path.c_str(), mb, records,
              events, errors);
  std::printf("best of %d: %.3f s, %.0f MB/s, %.2f M records/s, peak RSS %ld MB (checksum %llx)\n",
              repeat, best, mb / best, static_cast<double>(records) / best / 1e6,
              ru.ru_maxrss / 1024, static_cast<unsigned long long>(checksum));
  return errors ? 1 : 0;
}
