// libFuzzer target: the ftrace text reader. Any input must read to the end without a crash,
// leak, UB or hang; reading from memory and reading the same bytes through a file descriptor
// in small chunks must give the same records and errors (chunk-boundary differential).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "traces/text_reader.h"

using namespace unpop::traces;

namespace {

struct Summary {
  std::vector<std::string> items;
};

Summary run(RecordReader& r) {
  Summary s;
  Record rec;
  ReadError err;
  for (int guard = 0; guard < 1000000; ++guard) {
    ReadStatus st = r.next(rec, err);
    if (st == ReadStatus::end) return s;
    if (st == ReadStatus::error) {
      std::string m = err.message();  // exercise formatting
      s.items.push_back("E" + std::to_string(err.line) + ":" + std::to_string(err.column) + ":" +
                        err.expected);
      continue;
    }
    // Exercise the typed accessors on every field.
    for (const Field& f : rec.fields) {
      (void)parse_u64(f.value);
      (void)parse_s64(f.value);
      (void)parse_hex_u64(f.value);
      (void)rec.fields.str(f.key);
    }
    (void)rec.probe.probed_function();
    s.items.push_back("R" + std::to_string(rec.line) + std::string(to_string(rec.kind)) +
                      rec.name + "|" + rec.body + "|" + std::to_string(rec.fields.size()));
  }
  std::abort();  // a reader that never ends is a bug
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  TextReaderOptions opt;
  opt.chunk_size = 4096;
  opt.max_line = 512;
  auto mem = TextReader::from_memory("fuzz.txt", text, opt);
  Summary a = run(*mem);

  int fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  lseek(fd, 0, SEEK_SET);
  auto file = TextReader::from_fd("fuzz.txt", fd, opt);
  Summary b = run(*file);
  close(fd);
  if (a.items != b.items) std::abort();
  return 0;
}
