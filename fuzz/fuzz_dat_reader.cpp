// libFuzzer target: the trace.dat reader. The input is written to a memfd and opened through
// /proc/self/fd/N, so the same path-based code runs (layout check, then libtracecmd).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "traces/dat_layout.h"
#include "traces/dat_reader.h"

using namespace unpop::traces;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  DatLayout layout;
  std::string expected;
  std::uint64_t offset = 0;
  bool mem_ok = check_dat_layout(std::string_view(reinterpret_cast<const char*>(data), size),
                                 layout, expected, offset);

  int fd = memfd_create("fuzz.dat", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  DatLayout file_layout;
  std::string file_expected;
  std::uint64_t file_offset = 0;
  bool file_ok = check_dat_file(path, file_layout, file_expected, file_offset);
  if (mem_ok != file_ok || expected != file_expected) std::abort();  // two sources, one answer

  ReadError err;
  // libtracecmd loops forever on some crafted files; the reader's watchdog turns that into a
  // reported error (the behaviour under test). It must fire well before libFuzzer's -timeout,
  // which is left to catch hangs in our own code.
  DatReaderOptions opt;
  opt.timeout_ms = 3000;
  auto r = DatReader::open(path, err, opt);
  if (r) {
    Record rec;
    for (int guard = 0; guard < 10000000; ++guard) {
      ReadStatus st = r->next(rec, err);
      if (st == ReadStatus::end) break;
      if (st == ReadStatus::error) {
        (void)err.message();
        if (err.fatal) break;
      }
    }
  } else {
    (void)err.message();
  }
  close(fd);
  return 0;
}
