#pragma once
// Helpers shared by the layout and Xen-side tests (header only; not part of the library API).
#include <filesystem>
#include <ostream>
#include <string>

#include "model/layout/layout.h"

namespace unpop {

// GoogleTest prints ranges as "0x40400000-0x5fffffff" instead of raw bytes.
inline void PrintTo(const Range& r, std::ostream* os) { *os << to_string(r); }

namespace test {

/// A file of the real boot's artefacts (model/layout/fixtures/qemu-virt-2g/README.md).
inline std::string fixture(const std::string& file) {
  return std::string(UNPOP_SOURCE_DIR) + "/model/layout/fixtures/qemu-virt-2g/" + file;
}

/// Runs `f`, expects a LoadError and returns its what() ("" if none was thrown).
template <typename F>
std::string load_error(F&& f) {
  try {
    f();
  } catch (const LoadError& e) {
    return e.what();
  }
  return "";
}

}  // namespace test
}  // namespace unpop
