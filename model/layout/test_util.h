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

/// The shared fixtures. UNPOP_SHARED_DIR is "<source>/../shared", which is right for the main
/// checkout; a git worktree one level deeper finds them one directory further up.
inline std::string shared_dir() {
  namespace fs = std::filesystem;
  if (fs::exists(fs::path(UNPOP_SHARED_DIR) / "fixtures")) return UNPOP_SHARED_DIR;
  for (fs::path dir = UNPOP_SOURCE_DIR; dir.has_parent_path() && dir != dir.parent_path();
       dir = dir.parent_path())
    if (fs::exists(dir / "shared" / "fixtures")) return (dir / "shared").string();
  return UNPOP_SHARED_DIR;
}

inline std::string fixture(const std::string& file) {
  return shared_dir() + "/fixtures/qemu-virt-2g-dom0/" + file;
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
