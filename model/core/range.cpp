#include "model/core/range.h"

#include <fmt/format.h>

namespace unpop {

std::string hex(Addr a) { return fmt::format("{:#x}", a); }
std::string to_string(const Range& r) { return fmt::format("{:#x}-{:#x}", r.start, r.end); }

}  // namespace unpop
