// libFuzzer target: the trace.dat layout walker alone, in process (fast). The full reader
// (fuzz_dat_reader) forks a decoder per input and runs ~10 inputs/s under ASan; this target
// covers our own structural checks at full speed. Every input must be rejected or accepted
// without UB, and an accepted layout must fit in the input.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "traces/dat_layout.h"

using namespace unpop::traces;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  DatLayout layout;
  std::string expected;
  std::uint64_t offset = 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (check_dat_layout(in, layout, expected, offset)) {
    if (layout.data_end > size) std::abort();
    if (layout.version != 6 && layout.version != 7) std::abort();
  } else if (expected.empty()) {
    std::abort();  // a rejection always says what was expected
  }
  return 0;
}
